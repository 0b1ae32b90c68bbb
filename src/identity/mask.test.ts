import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { maskEmail, maskIdNumber, maskName, maskPhone } from './mask.js';

const codePointCount = (text: string): number => Array.from(text).length;

describe('maskName', () => {
  const table: ReadonlyArray<readonly [name: string, masked: string]> = [
    ['张三', '*三'],
    ['欧阳娜娜', '***娜'],
    ['李小龙', '**龙'],
    ['王', '*'],
    ['', ''],
    ['   ', ''],
    ['Madonna', '******a'],
    ['𠮷野家', '**家'],
    ['田𠮷', '*𠮷'],
    ['阿依古丽·买买提', '*******提'],
    ['Alice Smith', 'A**** *****'],
    ['Jean-Luc Picard', 'J******* ******'],
    ['  Alice   Smith ', 'A**** *****'],
    ['Alice\tSmith', 'A**** *****'],
    ['José María García', 'J*** ***** ******'],
    ['Ö Z', 'Ö *'],
  ];

  it.each(table)('masks %j as %j', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  it('shows at most one original code point and never lengthens the name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (name) => {
        const masked = maskName(name);
        const shown = Array.from(masked).filter((point) => point !== '*' && point !== ' ');
        expect(shown.length).toBeLessThanOrEqual(1);
        expect(codePointCount(masked)).toBeLessThanOrEqual(codePointCount(name));
        if (name.trim() !== '' && !name.includes('*')) expect(masked).not.toBe(name.trim());
      }),
    );
  });
});

describe('maskIdNumber', () => {
  const table: ReadonlyArray<readonly [id: string, masked: string]> = [
    ['11010519491231002X', '1****************X'],
    ['E12345678', 'E*******8'],
    ['abc', 'a*c'],
    ['ab', '**'],
    ['a', '*'],
    ['', ''],
    ['𠮷1234𠮷', '𠮷****𠮷'],
  ];

  it.each(table)('masks %j as %j', (id, masked) => {
    expect(maskIdNumber(id)).toBe(masked);
  });

  it('keeps the length in code points', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (id) => {
        expect(codePointCount(maskIdNumber(id))).toBe(codePointCount(id));
      }),
    );
  });
});

describe('maskPhone', () => {
  const table: ReadonlyArray<readonly [phone: string, masked: string]> = [
    ['+8613812345678', '+86 138****5678'],
    ['+8618600001111', '+86 186****1111'],
    ['+85291234567', '+852 ****4567'],
    ['+85366123456', '+853 ****3456'],
    ['+886912345678', '+886 9****5678'],
    ['+14155552671', '+1 41****2671'],
    ['+447911123456', '+44 79****3456'],
    ['+79161234567', '+7 91****4567'],
    ['+4915123456789', '+49 151****6789'],
    ['+6836001', '+683 ****'],
    ['+35312345678', '+353 ****5678'],
    ['+353851234567', '+353 8****4567'],
    ['+12345', '******'],
    ['8613812345678', '*************'],
    ['+86 138 1234 5678', '*****************'],
    ['+0613812345678', '**************'],
    ['+8613812345678901', '*****************'],
    ['', ''],
  ];

  it.each(table)('masks %j as %j', (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
  });

  it('hides at least four national digits and shows at most seven', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+[1-9][0-9]{6,14}$/), (phone) => {
        const masked = maskPhone(phone);
        const national = masked.slice(masked.indexOf(' ') + 1);
        const hidden = national.split('').filter((c) => c === '*').length;
        expect(hidden).toBeGreaterThanOrEqual(4);
        expect(national.length - hidden).toBeLessThanOrEqual(7);
        expect(masked.replace(' ', '').length).toBe(phone.length);
      }),
    );
  });
});

describe('maskEmail', () => {
  const table: ReadonlyArray<readonly [email: string, masked: string]> = [
    ['alice@example.com', 'a***@example.com'],
    ['a@example.com', 'a***@example.com'],
    ['very.long.name+tag@mail.example.cn', 'v***@mail.example.cn'],
    ['"a@b"@example.com', '"***@example.com'],
    ['张三@例子.中国', '张***@例子.中国'],
    ['𠮷x@example.com', '𠮷***@example.com'],
    ['@example.com', '************'],
    ['alice@', '******'],
    ['alice', '*****'],
    ['', ''],
  ];

  it.each(table)('masks %j as %j', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it('does not reveal the length of the local part', () => {
    expect(maskEmail('al@example.com').length).toBe(maskEmail('alexandra@example.com').length);
  });
});
