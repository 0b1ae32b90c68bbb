import { SelectField } from '../../../shared/ui';

/** The currency of a payment form; shown only when the user holds more than one. */
export function CurrencySelect({
  label,
  currencies,
  value,
  onChange,
}: {
  readonly label: string;
  readonly currencies: readonly string[];
  readonly value: string;
  readonly onChange: (currency: string) => void;
}) {
  if (currencies.length < 2) return null;
  return (
    <SelectField label={label} value={value} onChange={(event) => onChange(event.target.value)}>
      {currencies.map((code) => (
        <option key={code} value={code}>
          {code}
        </option>
      ))}
    </SelectField>
  );
}
