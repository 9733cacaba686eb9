/*
 * The live dashboard's connection (a browser script after charts.js): loads
 * `/history`, then follows `/events` from the last event it has. A gap in
 * the sequence numbers (events the server dropped for this page while it
 * was slow, or a reconnect) is filled from `/history`, so the charts miss
 * nothing; what the server dropped is shown. `window.lamerLive` exposes the
 * state for tests.
 */
(() => {
  const $ = (id) => document.getElementById(id);
  const charts = LamerCharts.create($('charts'), {
    live: true,
    width: Math.min(900, window.innerWidth - 48),
  });
  const state = {
    last: -1,
    events: 0,
    dropped: 0,
    step: 0,
    steps: null,
    version: 0,
    status: 'connecting',
    run: null,
  };
  window.lamerLive = state;
  let filling = null;
  let held = [];

  const show = () => {
    $('step').textContent = String(state.step);
    $('steps').textContent = state.steps === null ? '' : ` / ${state.steps}`;
    $('version').textContent = String(state.version);
    $('events').textContent = String(state.events);
    $('dropped').textContent = String(state.dropped);
    $('status').textContent = state.status;
    document.body.dataset.status = state.status;
  };

  const apply = (events) => {
    const fresh = events.filter((e) => e.seq > state.last).sort((a, b) => a.seq - b.seq);
    if (fresh.length === 0) return;
    for (const e of fresh) {
      if (e.kind === 'run') {
        state.run = e.run;
        state.steps = e.run.steps ?? null;
        $('title').textContent = e.run.title;
      }
      if (e.kind === 'end') state.status = e.error ? `failed: ${e.error}` : 'finished';
      state.step = Math.max(state.step, e.step);
      state.version = Math.max(state.version, e.policyVersion);
    }
    state.last = fresh[fresh.length - 1].seq;
    state.events += fresh.length;
    charts.push(fresh);
    show();
  };

  // Fetch what is missing after `last`, then apply the messages that arrived meanwhile.
  const fill = () => {
    if (filling) return filling;
    filling = fetch(`history?since=${state.last}`)
      .then((r) => r.json())
      .then((events) => {
        apply(events);
        const later = held;
        held = [];
        apply(later);
      })
      .finally(() => {
        filling = null;
      });
    return filling;
  };

  const follow = () => {
    const source = new EventSource(`events?since=${state.last}`);
    source.onopen = () => {
      if (!state.status.startsWith('f')) state.status = 'running';
      show();
    };
    source.onmessage = (m) => {
      const e = JSON.parse(m.data);
      if (filling) held.push(e);
      else if (e.seq > state.last + 1) {
        held.push(e);
        fill();
      } else apply([e]);
      if (e.kind === 'end') source.close();
    };
    source.addEventListener('dropped', (m) => {
      state.dropped = JSON.parse(m.data).total;
      show();
      fill();
    });
    source.onerror = () => {
      if (state.status === 'finished' || state.status.startsWith('failed')) {
        source.close();
        return;
      }
      state.status = 'reconnecting';
      show();
    };
  };

  fill().then(() => {
    if (state.status === 'finished' || state.status.startsWith('failed')) return;
    follow();
  });
  show();
})();
