import { formatMoney, minorOf, type MoneyWire } from '../money';

export interface Bar {
  readonly label: string;
  readonly value: MoneyWire;
}

/**
 * Bars for amounts. Heights are geometry, worked out from minor units as integers; the amounts
 * shown are the API's own strings. The same figures are in a visually hidden table for screen
 * readers.
 */
export function BarChart({
  bars,
  title,
}: {
  readonly bars: readonly Bar[];
  readonly title: string;
}) {
  const minors = bars.map((bar) => {
    const minor = minorOf(bar.value) ?? 0n;
    return minor < 0n ? 0n : minor;
  });
  const max = minors.reduce((a, b) => (b > a ? b : a), 0n);
  const width = 100 / Math.max(bars.length, 1);
  return (
    <figure className="bar-chart">
      <svg viewBox="0 0 100 60" role="img" aria-label={title} preserveAspectRatio="none">
        {bars.map((bar, i) => {
          const permille = max === 0n ? 0 : Number(((minors[i] ?? 0n) * 1000n) / max);
          const height = (permille / 1000) * 56;
          return (
            <rect
              key={bar.label}
              x={i * width + width * 0.15}
              y={58 - height}
              width={width * 0.7}
              height={height}
              rx={0.8}
            >
              <title>{`${bar.label}: ${formatMoney(bar.value)}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption className="visually-hidden">
        <table>
          <caption>{title}</caption>
          <tbody>
            {bars.map((bar) => (
              <tr key={bar.label}>
                <th scope="row">{bar.label}</th>
                <td>{formatMoney(bar.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}
