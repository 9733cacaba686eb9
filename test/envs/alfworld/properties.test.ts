import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { alfworld } from '../../../src/envs/alfworld/index.js';
import { parseList } from '../../../src/envs/alfworld/knowledge.js';
import {
  admissibleCommands,
  examineReceptacleText,
  inventoryText,
  NOTHING_HAPPENS,
  stepState,
} from '../../../src/envs/alfworld/rules.js';
import { type AlfWorldState, HELD, isReachable, objectsIn } from '../../../src/envs/alfworld/world.js';
import { Rng } from '../../../src/util/rng.js';

// Seeds from a range the env's game cache holds, so 200 runs stay fast; walks of random admissible commands.
const seeds = fc.integer({ min: 0, max: 300 });
const walkSeeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const params = alfworld.presets.all!;

/** Random admissible walk from the seed's game; calls `check(before, command, after)` on every step. */
function walk(
  seed: number,
  walkSeed: number,
  steps: number,
  check: (before: AlfWorldState, cmd: string, after: AlfWorldState) => void,
): AlfWorldState {
  const rng = Rng.seeded(walkSeed);
  let s = alfworld.initial(seed, params);
  for (let i = 0; i < steps && !s.won; i++) {
    const cmds = admissibleCommands(s);
    // Favour the commands that change things, so walks reach open receptacles and held objects.
    const active = cmds.filter((c) => /^(open|take|move|go to|clean|heat|cool|use|slice) /.test(c));
    const cmd = rng.pick(active.length > 0 && rng.bernoulli(0.8) ? active : cmds);
    const next = stepState(s, cmd).state;
    check(s, cmd, next);
    s = next;
  }
  return s;
}

/** How often each object is read about: in the listing of each reachable receptacle and in the inventory. */
function sightings(s: AlfWorldState): Map<string, number> {
  const count = new Map<string, number>();
  const names: string[] = [];
  for (let r = 0; r < s.game.receptacles.length; r++) {
    if (!isReachable(s, r)) continue;
    const m = /you see (.*)\.$/.exec(examineReceptacleText(s, r));
    names.push(...parseList(m![1]!));
  }
  const held = /^You are carrying: a (.*)\.$/.exec(inventoryText(s));
  if (held) names.push(held[1]!);
  for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
  return count;
}

describe('ALFWorld properties', () => {
  test.prop([seeds, walkSeeds], { numRuns: 200 })(
    'admissible commands never answer "Nothing happens." and count as valid steps',
    (seed, walkSeed) => {
      walk(seed, walkSeed, 8, (before, _cmd, after) => {
        const rng = Rng.seeded(walkSeed ^ after.steps);
        const cmds = admissibleCommands(before);
        for (let k = 0; k < 4; k++) {
          const r = stepState(before, rng.pick(cmds));
          expect(r.state.feedback).not.toBe(NOTHING_HAPPENS);
          expect(r.info.valid).toBe(true);
        }
        expect(after.feedback).not.toBe(NOTHING_HAPPENS);
      });
    },
  );

  test.prop([seeds, walkSeeds], { numRuns: 200 })(
    'take moves an object from its receptacle into the inventory; a closed receptacle hides its contents; no object is in two places',
    (seed, walkSeed) => {
      walk(seed, walkSeed, 10, (before, cmd, after) => {
        const take = /^take (.+) from (.+)$/.exec(cmd);
        if (take) {
          const o = after.game.objects.findIndex((x) => x.name === take[1]);
          const r = after.game.receptacles.findIndex((x) => x.name === take[2]);
          expect(before.in[o]).toBe(r);
          expect(after.in[o]).toBe(HELD);
          expect(objectsIn(after, r)).not.toContain(o);
          expect(examineReceptacleText(after, r)).not.toContain(`a ${take[1]},`);
          expect(inventoryText(after)).toBe(`You are carrying: a ${take[1]}.`);
        }
        const takes = new Set(admissibleCommands(after).filter((c) => c.startsWith('take ')));
        for (let r = 0; r < after.game.receptacles.length; r++) {
          const rec = after.game.receptacles[r]!;
          if (!rec.openable || after.open.includes(r)) continue;
          expect(examineReceptacleText(after, r)).toBe(`The ${rec.name} is closed.`);
          for (const o of objectsIn(after, r))
            expect(takes.has(`take ${after.game.objects[o]!.name} from ${rec.name}`)).toBe(false);
        }
        const seen = sightings(after);
        for (const n of seen.values()) expect(n).toBe(1);
        // Every object in a reachable receptacle or in the hands is read about.
        after.in.forEach((r, o) => {
          if (r === HELD || isReachable(after, r)) expect(seen.get(after.game.objects[o]!.name)).toBe(1);
        });
        expect(after.in.filter((x) => x === HELD).length).toBeLessThanOrEqual(1);
      });
    },
  );

  test.prop([seeds, walkSeeds], { numRuns: 200 })(
    'restart returns the identical state: play never changes the initial state',
    (seed, walkSeed) => {
      const s0 = alfworld.initial(seed, params);
      const frozen = JSON.stringify(s0);
      walk(seed, walkSeed, 8, (before) => {
        expect(before.won && before.steps === 0).toBe(false);
      });
      expect(JSON.stringify(s0)).toBe(frozen);
      expect(alfworld.initial(seed, params)).toEqual(s0);
      expect(alfworld.observe(alfworld.initial(seed, params))).toBe(alfworld.observe(s0));
    },
  );
});
