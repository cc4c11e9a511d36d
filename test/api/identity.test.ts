import { mapLimit } from '../../src/demo/api-client';
import { mailboxIdentity } from '../../src/domain/registration/contacts';
import { eventually, startTestStack, type TestStack } from '../helpers/context';

/** Case E1 (issue 13): one person, many spellings; and an unverified phone never blocks its owner. */
const launch = (dropId: string, extra: Record<string, unknown> = {}) => ({
  dropId,
  name: 'Identity test drop',
  units: 1,
  priceCents: 1500,
  nodes: [{ nodeId: 'north-locker', region: 'north', stock: 1 }],
  windows: { registrationSeconds: 600, paymentSeconds: 120, pickupSeconds: 20, postMortemDelaySeconds: 1 },
  ...extra,
});

describe('registration identity', () => {
  let stack: TestStack;
  const register = (dropId: string, body: Record<string, unknown>) =>
    stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { region: 'north', ...body } });
  const entriesOf = async (dropId: string) =>
    stack.db
      .selectFrom('entries')
      .innerJoin('entrant_contacts', (j) =>
        j.onRef('entrant_contacts.entry_id', '=', 'entries.entry_id').onRef('entrant_contacts.drop_id', '=', 'entries.drop_id'),
      )
      .select(['entries.entry_id', 'entrant_contacts.email', 'entrant_contacts.phone'])
      .where('entries.drop_id', '=', dropId)
      .execute();
  const open = async (dropId: string, extra?: Record<string, unknown>) => {
    expect((await stack.api.call('POST', '/v1/drops', { as: 'ops', body: launch(dropId, extra) })).status).toBe(201);
    await eventually(`${dropId} open`, async () =>
      (await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === 'registration' ? true : undefined,
    );
  };

  beforeAll(async () => {
    stack = await startTestStack();
    await open('five-phones');
    await open('stranger-drop');
    await open('alias-drop');
    await open('race-drop');
    await open('gb-drop', { phoneCountry: 'GB' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('makes the five spellings of +14155550100 one identity (default country US)', async () => {
    const phones = ['+1 (415) 555-0100', '14155550100', '415-555-0100', '001 415 555 0100', '+1 415 555 0100'];
    const answers = [];
    for (const [i, phone] of phones.entries()) answers.push(await register('five-phones', { email: `entrant-${i}@example.org`, phone }));
    expect(answers[0]!.status).toBe(201);
    for (const a of answers.slice(1)) {
      expect(a.status).toBe(409);
      expect(a.body.error.code).toBe('phone_already_used');
      expect(JSON.stringify(a.body)).not.toContain(answers[0]!.body.entryId);
    }
    expect(await entriesOf('five-phones')).toEqual([{ entry_id: answers[0]!.body.entryId, email: 'entrant-0@example.org', phone: '+14155550100' }]);
  });

  it('does not let a stranger who gave the number first block its owner, nor hand the owner their entry', async () => {
    const stranger = await register('stranger-drop', { email: 'stranger@example.org', phone: '+1 415 555 0199' });
    expect(stranger.status).toBe(201);
    // the owner, with their own e-mail and their own number: refused, and told nothing of the stranger's entry
    const owner = await register('stranger-drop', { email: 'ana.kowal@example.org', phone: '+1 415 555 0199' });
    expect(owner.status).toBe(409);
    expect(owner.body.error.code).toBe('phone_already_used');
    expect(owner.body.entryId).toBeUndefined();
    expect(JSON.stringify(owner.body)).not.toContain(stranger.body.entryId);
    // ...and still enters, under their e-mail
    const entered = await register('stranger-drop', { email: 'ana.kowal@example.org' });
    expect(entered.status).toBe(201);
    expect(entered.body.entryId).not.toBe(stranger.body.entryId);
    expect(entered.body.receiptSecret).toBeTruthy();
    // the stranger again gets their own entry back, not the owner's
    const again = await register('stranger-drop', { email: 'Stranger+2@Example.org', phone: '+14155550199' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ entryId: stranger.body.entryId, duplicate: true });
    expect(again.body.receiptSecret).toBeUndefined();
    expect((await entriesOf('stranger-drop')).map((e) => e.entry_id).sort()).toEqual([stranger.body.entryId, entered.body.entryId].sort());
  });

  it('maps every alias of one mailbox to one entry, and keeps the address as given', async () => {
    const first = await register('alias-drop', { email: 'Ann.Kowal@Bücher.de' });
    expect(first.status).toBe(201);
    for (const alias of ['ann.kowal+spring@xn--bcher-kva.de', ' ANN.KOWAL@BÜCHER.DE ', 'ann.kowal+x@bu\u0308cher.de.']) {
      const a = await register('alias-drop', { email: alias });
      expect({ alias, status: a.status, entryId: a.body.entryId }).toEqual({ alias, status: 200, entryId: first.body.entryId });
    }
    const gmail = await register('alias-drop', { email: 'ann.kowal@gmail.com' });
    expect(gmail.status).toBe(201);
    for (const alias of ['annkowal@gmail.com', 'A.N.N.Kowal+drops@googlemail.com']) {
      expect((await register('alias-drop', { email: alias })).body).toMatchObject({ entryId: gmail.body.entryId, duplicate: true });
    }
    // outside Gmail a dot is another mailbox
    expect((await register('alias-drop', { email: 'annkowal@bücher.de' })).status).toBe(201);
    const contacts = await entriesOf('alias-drop');
    expect(contacts.find((c) => c.entry_id === first.body.entryId)?.email).toBe('ann.kowal@xn--bcher-kva.de');
    expect(contacts).toHaveLength(3);
  });

  it('never answers a duplicate with an entry made under another e-mail, even when registrations race', async () => {
    const phones = ['+1 (415) 555-0142', '14155550142', '415-555-0142', '001 415 555 0142'];
    const bodies = Array.from({ length: 40 }, (_, i) => ({ email: `racer-${i % 10}${i >= 20 ? '+again' : ''}@example.org`, phone: phones[i % phones.length] }));
    const answers = await mapLimit(bodies, 40, (body) => register('race-drop', body));
    const entries = await entriesOf('race-drop');
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry!.phone).toBe('+14155550142');
    for (const [i, a] of answers.entries()) {
      if (a.status === 201 || a.status === 200) {
        expect(a.body.entryId).toBe(entry!.entry_id);
        // only the entry's own mailbox is ever told its id
        expect(mailboxIdentity(bodies[i]!.email)).toBe(mailboxIdentity(entry!.email));
      } else {
        expect({ status: a.status, code: a.body.error.code }).toEqual({ status: 409, code: 'phone_already_used' });
        expect(JSON.stringify(a.body)).not.toContain(entry!.entry_id);
      }
    }
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    // the winning mailbox's four requests: one created it, three are its duplicates
    expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
  });

  it("reads national numbers in the drop's phoneCountry", async () => {
    expect((await register('gb-drop', { email: 'uk-owner@example.org', phone: '020 7946 0000' })).status).toBe(201);
    const again = await register('gb-drop', { email: 'uk-other@example.org', phone: '+44 20 7946 0000' });
    expect(again.body.error?.code).toBe('phone_already_used');
    expect((await entriesOf('gb-drop')).map((e) => e.phone)).toEqual(['+442079460000']);
  });

  it.each(['12345', '+999 123 4567', '001 415 555', '1-800-FLOWERS'])('answers the phone %s with 400 and the path phone, and writes nothing', async (phone) => {
    const before = (await entriesOf('alias-drop')).length;
    const res = await register('alias-drop', { email: `bad-phone-${phone.length}@example.org`, phone });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['phone']);
    expect((await entriesOf('alias-drop')).length).toBe(before);
  });

  it.each(['gb', 'XX', 'GBR'])('refuses the launch with phoneCountry %s (400, path phoneCountry)', async (phoneCountry) => {
    const res = await stack.api.call('POST', '/v1/drops', { as: 'ops', body: launch(`bad-country-${phoneCountry.toLowerCase()}`, { phoneCountry }) });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['phoneCountry']);
    expect((await stack.api.call('GET', `/v1/drops/bad-country-${phoneCountry.toLowerCase()}`, { as: 'ops' })).status).toBe(404);
  });
});
