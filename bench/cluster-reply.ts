/** The fake server's reply `i` (bench:cluster): a click on a cell that cycles over the board, with a remark (a valid reflection too). */
export function benchReply(i: number): string {
  const cell = `(${1 + (i % 6)}, ${1 + (Math.floor(i / 6) % 6)})`;
  return `<remark>I should try a new cell.</remark> Let me click a cell. <action>${cell}</action>`;
}
