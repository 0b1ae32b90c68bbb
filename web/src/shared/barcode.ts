/**
 * Code 128 barcodes (ISO/IEC 15417) for the 18-digit payment code: code set C packs two digits
 * in each symbol, framed by the Start C symbol, a modulo-103 check symbol and the stop pattern.
 * The output is geometry (bars in modules) or an SVG string, so no canvas or library is needed.
 */

/**
 * The 107 symbol patterns: element widths in modules, bar first. Each symbol is 11 modules;
 * the stop pattern (106) has a final bar and is 13.
 */
// prettier-ignore
const PATTERNS: readonly string[] = [
  '212222', '222122', '222221', '121223', '121322', '131222', '122213', '122312', '132212',
  '221213', '221312', '231212', '112232', '122132', '122231', '113222', '123122', '123221',
  '223211', '221132', '221231', '213212', '223112', '312131', '311222', '321122', '321221',
  '312212', '322112', '322211', '212123', '212321', '232121', '111323', '131123', '131321',
  '112313', '132113', '132311', '211313', '231113', '231311', '112133', '112331', '132131',
  '113123', '113321', '133121', '313121', '211331', '231131', '213113', '213311', '213131',
  '311123', '311321', '331121', '312113', '312311', '332111', '314111', '221411', '431111',
  '111224', '111422', '121124', '121421', '141122', '141221', '112214', '112412', '122114',
  '122411', '142112', '142211', '241211', '221114', '413111', '241112', '134111', '111242',
  '121142', '121241', '114212', '124112', '124211', '411212', '421112', '421211', '212141',
  '214121', '412121', '111143', '111341', '131141', '114113', '114311', '411113', '411311',
  '113141', '114131', '311141', '411131', '211412', '211214', '211232', '2331112',
];

export const START_C = 105;
export const STOP = 106;
/** The light margin each side, in modules: at least ten for scanners to find the symbol. */
export const QUIET_ZONE_MODULES = 10;

export interface Bar {
  /** From the left edge of the symbol, quiet zone included, in modules. */
  readonly x: number;
  readonly width: number;
}

/** The symbol values of an even number of digits in code set C, check symbol and stop included. */
export function code128CValues(digits: string): number[] {
  if (!/^(?:[0-9]{2})+$/.test(digits)) {
    throw new RangeError('code set C takes a non-empty, even number of digits');
  }
  const data: number[] = [];
  for (let i = 0; i < digits.length; i += 2) data.push(Number(digits.slice(i, i + 2)));
  return [START_C, ...data, checkSymbol(START_C, data), STOP];
}

/** Modulo 103 of the start value plus each data value times its position (from 1). */
export function checkSymbol(start: number, data: readonly number[]): number {
  const sum = data.reduce((total, value, i) => total + value * (i + 1), start);
  return sum % 103;
}

/** The element widths of a sequence of symbols, bar first, without the quiet zones. */
export function widthsOf(values: readonly number[]): number[] {
  return values.flatMap((value) => {
    const pattern = PATTERNS[value];
    if (pattern === undefined) throw new RangeError(`no Code 128 symbol ${value}`);
    return [...pattern].map(Number);
  });
}

/** The dark bars of the symbol and its total width in modules, quiet zones included. */
export function code128Bars(digits: string): { readonly bars: Bar[]; readonly modules: number } {
  const bars: Bar[] = [];
  let x = QUIET_ZONE_MODULES;
  widthsOf(code128CValues(digits)).forEach((width, i) => {
    if (i % 2 === 0) bars.push({ x, width });
    x += width;
  });
  return { bars, modules: x + QUIET_ZONE_MODULES };
}

/**
 * The barcode as an SVG document that scales to its container's width: one path of bars on
 * white, `role="img"` with the digits as its accessible name.
 */
export function code128Svg(digits: string, options: { readonly height?: number } = {}): string {
  const height = options.height ?? 60;
  const { bars, modules } = code128Bars(digits);
  const path = bars.map((bar) => `M${bar.x} 0h${bar.width}v${height}h-${bar.width}z`).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${modules} ${height}" ` +
    `preserveAspectRatio="none" shape-rendering="crispEdges" role="img" aria-label="${digits}">` +
    `<rect width="${modules}" height="${height}" fill="#fff"/>` +
    `<path d="${path}" fill="#000"/></svg>`
  );
}
