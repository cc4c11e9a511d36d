import { notFound } from '../../domain/errors';
import { DRAW_ALGORITHM, entryKey } from '../../domain/draw/lottery';
import { findDrop } from '../../db/repositories/drops';
import { findDraw, findDrawPosition } from '../../db/repositories/draws';
import type { ServiceDeps } from '../deps';
import { requireEntrant } from '../registration/registration';

/**
 * One entrant's slice of the published draw (drops-lottery-v1): what their browser needs to
 * recompute their own key, and nothing about anyone else (the whole record is tens of MB at a
 * million entries). Before the draw, only the commitment (and the digest once registration closed).
 */
export interface EntryTicket {
  algorithm: typeof DRAW_ALGORITHM;
  dropId: string;
  entryId: string;
  /** Tickets held: the entry's key is the smallest of its `weight` ticket keys. */
  weight: number;
  /** sha256(seed), published at announce. */
  commitment: string | null;
  /** Revealed with the draw; null before. */
  seed: string | null;
  /** sha256 of the frozen entrant list; set when registration closes. */
  entrantsDigest: string | null;
  beacon: string | null;
  /** sha256(seed:entrantsDigest[:beacon]); null before the draw. */
  drawSeed: string | null;
  /** The server's key for this entry (lowercase hex); null before the draw. */
  key: string | null;
  /** 0-based place in the ranking (draw order); null before the draw. */
  position: number | null;
  /** Entries in the frozen list; null before the draw. */
  entrants: number | null;
}

/** Errors: 404 `entry_not_found` (no such entry, or a wrong receipt secret: the same answer). */
export async function entryTicket(
  deps: Pick<ServiceDeps, 'db' | 'secrets'>,
  dropId: string,
  entryId: string,
  secret: string | undefined,
): Promise<EntryTicket> {
  const entry = await requireEntrant(deps, dropId, entryId, secret);
  const drop = await findDrop(deps.db, dropId);
  if (!drop) throw notFound('entry_not_found', 'no entry with that id and receipt secret');
  const draw = await findDraw(deps.db, dropId);
  // The seed is public only once the draw is complete (the reveal is written with the summary row).
  const drawn = draw && drop.seed ? { seed: drop.seed, draw } : null;
  const position = drawn ? ((await findDrawPosition(deps.db, dropId, entryId))?.position ?? null) : null;
  return {
    algorithm: DRAW_ALGORITHM,
    dropId,
    entryId,
    weight: entry.weight,
    commitment: drop.commitment,
    seed: drawn?.seed ?? null,
    entrantsDigest: drawn?.draw.entrants_digest ?? drop.entrants_digest,
    beacon: drop.beacon,
    drawSeed: drawn?.draw.draw_seed ?? null,
    key: drawn ? entryKey(drawn.draw.draw_seed, dropId, { entryId, weight: entry.weight }) : null,
    position: position === null ? null : Number(position),
    entrants: drawn ? drawn.draw.entrants : null,
  };
}
