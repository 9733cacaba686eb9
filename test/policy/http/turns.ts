/** Test helper: counts event-loop turns (the HTTP policy hands replies over one per turn). */

/** The event-loop turn (counted by a setImmediate ticker) at which each promise resolved. */
export async function turnsOf(start: (count: () => number) => Promise<number>[]): Promise<number[]> {
  let turn = 0;
  let ticking = true;
  const tick = () => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const turns = await Promise.all(start(() => turn));
  ticking = false;
  return turns;
}
