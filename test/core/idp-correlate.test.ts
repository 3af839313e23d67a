/** Correlation with an identity provider's addresses: mail, then UPN, then aliases; then employee number. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alternateEmails, correlate } from '../../src/core/correlate.ts';

describe('IdP correlation', () => {
  it('alternate addresses: UPN first, then aliases, folded, once each, the primary left out', () => {
    const attrs = { userPrincipalName: 'J.Doe@Acme.example', proxyAddresses: 'jane.doe@acme.example, jd@acme.onmicrosoft.com;JANE@acme.example', mail: 'jane.doe@acme.example' };
    assert.deepEqual(alternateEmails(attrs, ['userPrincipalName', 'proxyAddresses'], attrs.mail), ['j.doe@acme.example', 'jd@acme.onmicrosoft.com', 'jane@acme.example']);
    assert.deepEqual(alternateEmails({ aliases: 'not-an-address, x@y.example' }, ['aliases']), ['x@y.example']);
  });

  it('mail wins; else the first alternate that finds someone; a number pointing elsewhere is ambiguous', () => {
    const none = new Set<string>();
    assert.deepEqual(correlate({ byEmail: ['e1'], byAlias: [{ address: 'a@x', ids: ['e2'] }], byNumber: [], linkedInSource: none }), { kind: 'match', employeeId: 'e1', by: 'email' });
    assert.deepEqual(correlate({ byEmail: [], byAlias: [{ address: 'upn@x', ids: [] }, { address: 'alias@x', ids: ['e2'] }], byNumber: [], linkedInSource: none }), { kind: 'match', employeeId: 'e2', by: 'alias', address: 'alias@x' });
    const clash = correlate({ byEmail: [], byAlias: [{ address: 'alias@x', ids: ['e2'] }], byNumber: ['e3'], linkedInSource: none });
    assert.equal(clash.kind, 'ambiguous');
    assert.match(clash.kind === 'ambiguous' ? clash.reason : '', /address alias@x matches one employee and the employee number another/);
    const taken = correlate({ byEmail: [], byAlias: [{ address: 'alias@x', ids: ['e2'] }], byNumber: [], linkedInSource: new Set(['e2']) });
    assert.equal(taken.kind, 'ambiguous');
    assert.deepEqual(correlate({ byEmail: [], byAlias: [], byNumber: ['e4'], linkedInSource: none }), { kind: 'match', employeeId: 'e4', by: 'employeeNumber' });
  });
});
