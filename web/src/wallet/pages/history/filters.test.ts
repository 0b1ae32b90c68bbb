import { describe, expect, it } from 'vitest';
import { apiQuery, exportHref, filterProblems, filtersFrom, paramsFrom } from './filters';

const none = filtersFrom(new URLSearchParams());

describe('Activity filters', () => {
  it('read only values the API accepts from the URL', () => {
    const filters = filtersFrom(
      new URLSearchParams('type=p2p&status=bogus&currency=cny&from=2026-11-01&to=tomorrow&q=tea'),
    );
    expect(filters).toMatchObject({ type: 'p2p', status: '', currency: '', from: '2026-11-01' });
    expect(filters.to).toBe('');
    expect(paramsFrom(filters).toString()).toBe('type=p2p&from=2026-11-01&q=tea');
  });

  it('need a currency for amounts, and dates in order', () => {
    expect(filterProblems({ ...none, min: '10' })).toEqual([{ field: 'min', error: 'currency' }]);
    expect(filterProblems({ ...none, currency: 'CNY', max: '1.234' })).toEqual([
      { field: 'max', error: 'decimals' },
    ]);
    expect(filterProblems({ ...none, from: '2026-11-02', to: '2026-11-01' })).toEqual([
      { field: 'to', error: 'order' },
    ]);
    expect(filterProblems({ ...none, currency: 'CNY', min: '10', to: '2026-11-01' })).toEqual([]);
  });

  it('become the API query: whole local days, amounts as decimals', () => {
    const query = apiQuery({
      ...none,
      type: 'topup',
      currency: 'CNY',
      min: '10',
      max: '99.5',
      from: '2026-11-01',
      to: '2026-11-30',
      q: ' coffee ',
    });
    expect(query.get('type')).toBe('topup');
    expect(query.get('amount_gte')).toBe('10.00');
    expect(query.get('amount_lte')).toBe('99.50');
    expect(query.get('created_gte')).toBe(new Date(2026, 10, 1).toISOString());
    expect(query.get('created_lt')).toBe(new Date(2026, 11, 1).toISOString());
    expect(query.get('q')).toBe('coffee');
  });

  it('export the chosen dates, or everything', () => {
    expect(exportHref(none)).toBe('/v1/transactions/export.csv');
    const href = exportHref({ from: '2026-11-01', to: '' });
    expect(href).toBe(
      `/v1/transactions/export.csv?from=${encodeURIComponent(new Date(2026, 10, 1).toISOString())}`,
    );
  });
});
