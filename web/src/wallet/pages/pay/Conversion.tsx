import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../../shared/api';
import { formatMoney, type MoneyWire } from '../../../shared/money';
import { ErrorNotice, Loading } from '../../../shared/ui';
import type { FxQuote, Scanned } from './types';

/** The wallet the API converts from when the payment's own currency cannot cover it. */
const HOME_CURRENCY = 'CNY';
/** A quote holds its price for 30 seconds; ask again a little before it runs out. */
const QUOTE_REFRESH_MS = 25_000;

/**
 * When the scan says the wallet cannot cover a fixed amount: in another currency, the price of
 * converting it from the CNY wallet (a quote from the API, refreshed while on screen); in CNY,
 * a plain "not enough" with the way to top up.
 */
export function ConversionNotice({ scanned }: { readonly scanned: Scanned }) {
  const { t } = useTranslation('scan');
  if (!scanned.conversion_needed || scanned.amount === null) return null;
  if (scanned.currency === HOME_CURRENCY) {
    return (
      <div className="notice notice-info">
        <p>{t('confirm.conversion.short')}</p>
        <p>
          <Link to="/topup">{t('confirm.conversion.topUp')}</Link>
        </p>
      </div>
    );
  }
  return <ConversionQuote amount={scanned.amount} />;
}

function ConversionQuote({ amount }: { readonly amount: MoneyWire }) {
  const { t } = useTranslation('scan');
  const quote = useQuery({
    queryKey: ['pay-conversion-quote', amount.amount, amount.currency],
    queryFn: () =>
      api<FxQuote>('/v1/fx/quotes', {
        method: 'POST',
        body: { buy: amount, sell_currency: HOME_CURRENCY },
      }),
    refetchInterval: QUOTE_REFRESH_MS,
    refetchOnWindowFocus: false,
  });
  return (
    <section className="notice notice-info" aria-labelledby="pay-conversion-heading">
      <h3 id="pay-conversion-heading" className="pay-subheading">
        {t('confirm.conversion.heading')}
      </h3>
      {quote.isPending ? <Loading /> : null}
      {quote.isError ? <ErrorNotice error={quote.error} /> : null}
      {quote.data === undefined ? null : (
        <>
          <p>
            {t('confirm.conversion.quote', {
              currency: amount.currency,
              sell: formatMoney(quote.data.sell),
              rate: quote.data.rate,
            })}
          </p>
          <p>{t('confirm.conversion.final')}</p>
        </>
      )}
    </section>
  );
}
