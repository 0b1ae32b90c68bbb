import { describe, expect, it } from 'vitest';
import {
  checkSymbol,
  code128Bars,
  code128CValues,
  code128Svg,
  QUIET_ZONE_MODULES,
  START_C,
  STOP,
  widthsOf,
} from './barcode';

describe('Code 128 set C', () => {
  // 88 01 23 45 67 89 01 23 45, checksum worked out by hand:
  // 105 + 88·1 + 1·2 + 23·3 + 45·4 + 67·5 + 89·6 + 1·7 + 23·8 + 45·9 = 1909; 1909 mod 103 = 55.
  const code = '880123456789012345';

  it('packs two digits a symbol, with start C, the checksum and stop', () => {
    expect(code128CValues(code)).toEqual([105, 88, 1, 23, 45, 67, 89, 1, 23, 45, 55, 106]);
    expect(checkSymbol(START_C, [88, 1, 23, 45, 67, 89, 1, 23, 45])).toBe(55);
  });

  it('draws the patterns of the standard table', () => {
    expect(widthsOf([START_C]).join('')).toBe('211232');
    expect(widthsOf([88]).join('')).toBe('421211');
    expect(widthsOf([55]).join('')).toBe('311321');
    expect(widthsOf([STOP]).join('')).toBe('2331112');
  });

  it('makes every symbol 11 modules and the stop 13', () => {
    for (let value = 0; value < STOP; value += 1) {
      expect(widthsOf([value]).reduce((a, b) => a + b, 0)).toBe(11);
    }
    expect(widthsOf([STOP]).reduce((a, b) => a + b, 0)).toBe(13);
  });

  it('lays the bars out between the quiet zones', () => {
    const { bars, modules } = code128Bars(code);
    // Quiet zone, start, nine data symbols, check symbol, stop, quiet zone.
    expect(modules).toBe(QUIET_ZONE_MODULES * 2 + 11 * 11 + 13);
    expect(bars[0]).toEqual({ x: QUIET_ZONE_MODULES, width: 2 });
    expect(bars).toHaveLength(3 * 11 + 4);
    const last = bars[bars.length - 1];
    expect(last).toEqual({ x: modules - QUIET_ZONE_MODULES - 2, width: 2 });
  });

  it('refuses what set C cannot carry', () => {
    expect(() => code128CValues('123')).toThrow(RangeError);
    expect(() => code128CValues('12a4')).toThrow(RangeError);
    expect(() => code128CValues('')).toThrow(RangeError);
  });

  it('renders an SVG named by its digits', () => {
    const svg = code128Svg(code);
    expect(svg).toContain(`aria-label="${code}"`);
    expect(svg).toContain('viewBox="0 0 154 60"');
    expect(svg.match(/M\d+ 0h\d+/g)).toHaveLength(37);
  });
});
