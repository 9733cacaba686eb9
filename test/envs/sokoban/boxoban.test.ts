import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkEnvContract } from '../../../src/envs/core/contract.js';
import { parseParams } from '../../../src/envs/core/registry.js';
import { parseBoxoban, parseLevel, toBoxobanText } from '../../../src/envs/sokoban/boxoban.js';
import { sokoban } from '../../../src/envs/sokoban/index.js';
import { renderGrid } from '../../../src/envs/sokoban/render.js';
import { ConfigError, ParseError } from '../../../src/util/errors.js';

// The shared data folder sits beside the repository: ../shared/data/boxoban from the repo root.
const DATA = fileURLToPath(new URL('../../../../shared/data/boxoban/', import.meta.url));
const HAVE_DATA = existsSync(DATA);
if (!HAVE_DATA) console.warn(`Boxoban sample files not found at ${DATA}: skipping the file tests`);

const INLINE = `; 0
##########
#####  . #
#####  $ #
####  $  #
#  @ $. .#
#   $  ###
### .  ###
##########

; 7
#####
#+$ #
#*$.#
#####
`;

describe('Boxoban loader', () => {
  it('parses an inline file with several levels, including * and +', () => {
    const levels = parseBoxoban(INLINE);
    expect(levels.map((l) => l.index)).toEqual([0, 7]);
    const [a, b] = levels;
    expect(a!.level).toMatchObject({ width: 10, height: 8 });
    expect(a!.level.boxes.length).toBe(4);
    expect(b!.level.boxes).toEqual([7, 11, 12]);
    expect(b!.level.player).toBe(6);
    expect(toBoxobanText(b!.level)).toBe('#####\n#+$ #\n#*$.#\n#####');
  });

  it('renders a known level in the reference observation format', () => {
    const level = parseLevel('#####\n#+$ #\n#*$.#\n#####');
    expect(renderGrid(level)).toBe('0: # # # # #\n1: # S X _ #\n2: # √ X O #\n3: # # # # #');
  });

  it.each([
    ['#####\n# $.#\n#####', 'no player'],
    ['#####\n#@$ #\n#####', '1 boxes but 0 goals'],
    ['#####\n#@$.#\n# ##\n#####', 'row 2 has 4 characters'],
    ['#####\n#@$x#\n#####', 'unexpected character "x"'],
    ['#####\n#@@$.\n#####', 'more than one player'],
    ['#####\n#@*  #\n######', 'row 1 has 6 characters'],
    ['####\n#@*#\n####', 'every box is already on a goal'],
  ])('rejects %j (%s)', (text, reason) => {
    expect(() => parseLevel(text, 42)).toThrow(ParseError);
    expect(() => parseLevel(text, 42)).toThrow(`Sokoban level 42: `);
    expect(() => parseLevel(text, 42)).toThrow(reason);
  });

  it('names the index of a bad level inside a file', () => {
    expect(() => parseBoxoban('; 0\n####\n#@$.#\n####\n\n; 1\n####\n#@$#\n####\n')).toThrow(
      'Sokoban level 0:',
    );
    expect(() => parseBoxoban('; 3\n#####\n#@$ #\n#####\n')).toThrow('Sokoban level 3: 1 boxes but 0 goals');
  });

  it('plays a level given as text through the env params', () => {
    const params = parseParams(sokoban, { ...sokoban.presets.default!, level: '#######\n#@  $.#\n#######' });
    const s0 = sokoban.initial(123, params);
    expect(sokoban.observe(s0)).toBe('0: # # # # # # #\n1: # P _ _ X O #\n2: # # # # # # #');
    expect(sokoban.initial(999, params)).toEqual(s0); // the seed is ignored
    const r = sokoban.step(s0, ['right', 'right', 'right']);
    expect(r).toMatchObject({ won: true, done: true });
    expect(() => parseParams(sokoban, { ...sokoban.presets.default!, level: '#@#' })).toThrow(ConfigError);
    expect(checkEnvContract(sokoban, { params, seeds: [0, 1] }).seeds).toBe(2);
  });

  describe.skipIf(!HAVE_DATA)('shared sample files', () => {
    const files = HAVE_DATA ? readdirSync(DATA).filter((f) => f.endsWith('.txt')) : [];

    it.each(files)('%s: 1000 playable 10x10 levels with 4 boxes', (file) => {
      const levels = parseBoxoban(readFileSync(DATA + file, 'utf8'));
      expect(levels.length).toBe(1000);
      expect(levels.map((l) => l.index)).toEqual(levels.map((_, i) => i));
      for (const { level } of levels) {
        expect(level.width).toBe(10);
        expect(level.height).toBe(10);
        expect(level.boxes.length).toBe(4);
        expect(parseLevel(toBoxobanText(level))).toEqual(level);
      }
      // Play the first level a few turns as a text level.
      const params = parseParams(sokoban, {
        ...sokoban.presets['10x10-4']!,
        level: toBoxobanText(levels[0]!.level),
      });
      let s = sokoban.initial(0, params);
      for (const a of [['up'], ['left'], ['down']] as const) {
        const r = sokoban.step(s, [...a]);
        expect(Number.isFinite(r.reward)).toBe(true);
        s = r.state;
      }
    });
  });
});
