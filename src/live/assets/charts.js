/*
 * The chart module of lamer's pages: the live dashboard (`--live`) and the
 * training report (report.html) both draw with it, from live events
 * (src/live/events.ts): report.html from its history turned into events.
 * A browser script (inlined into both pages beside uPlot); defines
 * `LamerCharts`:
 * - `LamerCharts.model(events)`: the charts' data, no DOM: [{ id, title,
 *   xLabel, x, series: [{ label, values }] }] (values aligned with x, null = gap);
 * - `LamerCharts.create(container, { live })`: draws into `container`;
 *   `push(events)` adds events and redraws the charts they touch. Live, a
 *   chart appears with its first point; static, an empty chart says so.
 * Each chart div carries `data-chart` (its id) and `data-points` (its x count).
 */
(() => {
  const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const passPoints = (summary) => {
    const out = {};
    (summary?.pass ?? []).forEach((p, j) => {
      out[`pass@${j + 1}`] = num(p);
    });
    return out;
  };
  const ratio = (a, b) => (b > 0 ? a / b : null);

  // Each chart: which events it reads and the points (x, { label: y }) one event gives.
  const SPECS = [
    {
      id: 'validation-pass',
      title: 'Validation pass@k (fixed set)',
      xLabel: 'step',
      points: (e) =>
        e.kind === 'validation' && e.label === 'validation' ? [[e.step, passPoints(e.summary)]] : [],
    },
    {
      id: 'rollout-pass',
      title: 'Training rollout pass@k',
      xLabel: 'step',
      points: (e) => (e.kind === 'step' && e.entry.rollout ? [[e.step, passPoints(e.entry.rollout)]] : []),
    },
    {
      id: 'eval-pass',
      title: 'pass@k so far',
      xLabel: 'trials',
      points: (e) => {
        if (e.kind !== 'trial' || e.phase !== 'eval') return [];
        const out = {};
        for (const [name, v] of Object.entries(e.metrics)) if (name.startsWith('pass@')) out[name] = num(v);
        return [[e.trials, out]];
      },
    },
    {
      id: 'entropy',
      title: 'Trajectory entropy on validation (nats) and policy token entropy',
      xLabel: 'step',
      points: (e) => {
        if (e.kind === 'validation' && e.label === 'validation')
          return [[e.step, { 'trajectory entropy (validation)': num(e.summary.entropy) }]];
        if (e.kind === 'step' && e.entry.train)
          return [[e.step, { 'token entropy (update)': num(e.entry.train.entropy) }]];
        return [];
      },
    },
    {
      id: 'eval-entropy',
      title: 'Trajectory entropy so far (nats, over finished tasks)',
      xLabel: 'trials',
      points: (e) =>
        e.kind === 'trial' && e.phase === 'eval' && e.metrics.entropy !== undefined
          ? [[e.trials, { entropy: num(e.metrics.entropy) }]]
          : [],
    },
    {
      id: 'turns',
      title: 'Per turn batch: sampled-token entropy (nats), invalid and format-error rates',
      xLabel: 'turns',
      cumulative: true,
      points: (e, state) => {
        if (e.kind !== 'turns') return [];
        state.turns = (state.turns ?? 0) + e.turns;
        const y = {
          'invalid (play replies)': ratio(e.invalid, e.play),
          'format errors': ratio(e.formatErrors, e.turns),
        };
        if (e.tokenEntropy !== null) y['token entropy'] = num(e.tokenEntropy);
        return [[state.turns, y]];
      },
    },
    {
      id: 'losses',
      title: 'Losses',
      xLabel: 'step',
      points: (e) => {
        if (e.kind !== 'step' || !e.entry.train) return [];
        const t = e.entry.train;
        const y = { loss: num(t.loss), pg_loss: num(t.pgLoss), approx_kl: num(t.approxKl) };
        if (t.kl !== undefined) y['KL to the warm start (klCoef)'] = num(t.kl);
        y.clipfrac = num(t.clipFrac);
        return [[e.step, y]];
      },
    },
    {
      id: 'shift',
      title: 'Reply log-prob change over each step (nats; healthy: A>0 up, A<0 down)',
      xLabel: 'step',
      points: (e) =>
        e.kind === 'step' && e.entry.shift
          ? [
              [
                e.step,
                {
                  'play replies with A > 0': num(e.entry.shift.positive),
                  'play replies with A < 0': num(e.entry.shift.negative),
                },
              ],
            ]
          : [],
    },
    {
      id: 'rates',
      title: 'Invalid and format-error rates, mean attempt return',
      xLabel: 'step',
      points: (e) => {
        if (e.kind === 'validation' && e.label === 'validation')
          return [[e.step, { 'invalid (validation)': num(e.summary.invalidRate) }]];
        if (e.kind === 'step' && e.entry.rollout) {
          const r = e.entry.rollout;
          return [
            [
              e.step,
              {
                'invalid (rollout)': num(r.invalidRate),
                'reflection format errors (rollout)': num(r.reflectionErrorRate),
                'return (rollout)': num(r.episodeReturn),
              },
            ],
          ];
        }
        return [];
      },
    },
    {
      id: 'step-time',
      title: 'Step time (s)',
      xLabel: 'step',
      points: (e) =>
        e.kind === 'step'
          ? [[e.step, { step: num(e.entry.seconds), rollout: num(e.entry.rolloutSeconds) }]]
          : [],
    },
    {
      id: 'warmstart',
      title: 'Warm start: supervised cross-entropy per step',
      xLabel: 'step',
      points: (e) => (e.kind === 'warmstart' ? e.losses.map((l, i) => [i + 1, { loss: num(l) }]) : []),
    },
  ];

  // One chart's data: x values, and per label its values aligned with x (a label seen late is back-filled).
  function newData(spec) {
    return { spec, x: [], labels: [], values: {}, state: {} };
  }

  function addPoint(d, x, ys) {
    let i = d.x.length;
    if (i > 0 && d.x[i - 1] === x)
      i -= 1; // same x (a step's validation after its update): one point
    else {
      d.x.push(x);
      for (const label of d.labels) d.values[label].push(null);
    }
    for (const [label, y] of Object.entries(ys)) {
      if (!(label in d.values)) {
        d.labels.push(label);
        d.values[label] = d.x.map(() => null);
      }
      if (y !== null || d.values[label][i] === undefined) d.values[label][i] = y;
    }
  }

  function apply(datas, events) {
    const touched = new Set();
    for (const e of events) {
      for (const d of datas) {
        const points = d.spec.points(e, d.state);
        for (const [x, ys] of points) addPoint(d, x, ys);
        if (points.length > 0) touched.add(d);
      }
    }
    return touched;
  }

  const view = (d) => ({
    id: d.spec.id,
    title: d.spec.title,
    xLabel: d.spec.xLabel,
    x: d.x.slice(),
    series: d.labels.map((label) => ({ label, values: d.values[label].slice() })),
  });

  function model(events) {
    const datas = SPECS.map(newData);
    apply(datas, events);
    return datas.map(view);
  }

  function create(container, options) {
    const live = options?.live === true;
    const width = options?.width ?? 900;
    const datas = SPECS.map(newData);
    const drawn = new Map(); // data -> { div, plot, labels }
    for (const d of datas) {
      const div = document.createElement('div');
      div.className = 'chart';
      div.dataset.chart = d.spec.id;
      div.dataset.points = '0';
      if (live) div.hidden = true;
      else div.textContent = `${d.spec.title}: no data`;
      container.appendChild(div);
      drawn.set(d, { div, plot: null, labels: '' });
    }
    const draw = (d) => {
      const c = drawn.get(d);
      const data = [d.x].concat(d.labels.map((l) => d.values[l]));
      const labels = d.labels.join('\u0000');
      c.div.hidden = false;
      c.div.dataset.points = String(d.x.length);
      if (c.plot && c.labels === labels) {
        c.plot.setData(data);
        return;
      }
      if (c.plot) c.plot.destroy();
      c.div.textContent = '';
      c.labels = labels;
      c.plot = new uPlot(
        {
          title: d.spec.title,
          width,
          height: 260,
          scales: { x: { time: false } },
          axes: [{ label: d.spec.xLabel }, {}],
          series: [{ label: d.spec.xLabel }].concat(
            d.labels.map((label, i) => ({
              label,
              stroke: COLORS[i % COLORS.length],
              width: 2,
              spanGaps: true,
              points: { show: d.x.length < 200 },
            })),
          ),
        },
        data,
        c.div,
      );
    };
    return {
      push(events) {
        for (const d of apply(datas, events)) if (d.x.length > 0) draw(d);
      },
      model: () => datas.map(view),
    };
  }

  globalThis.LamerCharts = { model, create, specs: SPECS.map((s) => ({ id: s.id, title: s.title })) };
})();
