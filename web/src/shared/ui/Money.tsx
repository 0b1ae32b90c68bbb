import { formatMoney, type MoneyWire } from '../money';

/** An amount as text, in tabular figures, from the API's decimal string. */
export function MoneyText({
  value,
  sign,
  className,
}: {
  readonly value: MoneyWire;
  readonly sign?: 'always';
  readonly className?: string;
}) {
  return (
    <span className={`money${className ? ` ${className}` : ''}`}>
      {formatMoney(value, sign === undefined ? {} : { sign })}
    </span>
  );
}
