import { describe, expect, it } from 'vitest';
import { TurnHandOff } from '../../../src/policy/http/handoff.js';
import { turnsOf } from './turns.js';

describe('TurnHandOff', () => {
  it('resumes callers one per event-loop turn, in the order they asked, never in the turn they asked in', async () => {
    const handOff = new TurnHandOff();
    const order: number[] = [];
    let asked = -1;
    const turns = await turnsOf((turn) => {
      asked = turn();
      return Array.from({ length: 8 }, (_, i) =>
        handOff.next().then(() => {
          order.push(i);
          return turn();
        }),
      );
    });
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(turns).size).toBe(8);
    expect(turns.every((t) => t > asked)).toBe(true);
    expect(turns).toEqual([...turns].sort((a, b) => a - b));
  });

  it('starts again after it ran dry', async () => {
    const handOff = new TurnHandOff();
    await handOff.next();
    const turns = await turnsOf((turn) => [handOff.next().then(turn), handOff.next().then(turn)]);
    expect(turns[1]).toBeGreaterThan(turns[0]!);
  });
});
