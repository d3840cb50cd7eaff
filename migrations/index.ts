import { CreateCapsules1764000000000 } from './1764000000000-CreateCapsules';
import { CreateCapsuleRuns1764000000001 } from './1764000000001-CreateCapsuleRuns';
import { CreateAnalyticsViews1764000000002 } from './1764000000002-CreateAnalyticsViews';
import { AddCapsuleRevisionsAndRunKeys1764000000003 } from './1764000000003-AddCapsuleRevisionsAndRunKeys';
import { CreateRunRollups1764000000004 } from './1764000000004-CreateRunRollups';
import { CreateApiKeys1764000000005 } from './1764000000005-CreateApiKeys';
import { FoldChecksumLookups1764000000006 } from './1764000000006-FoldChecksumLookups';
import { CreateReadinessProbe1764000000007 } from './1764000000007-CreateReadinessProbe';
import { ScheduledCapsulesLocalDay1764000000008 } from './1764000000008-ScheduledCapsulesLocalDay';
import { CreateAlerts1764000000009 } from './1764000000009-CreateAlerts';
import { CreateRevisionRollups1764000000010 } from './1764000000010-CreateRevisionRollups';
import { CreateSlotOutcomes1764000000011 } from './1764000000011-CreateSlotOutcomes';
import { CreateLedgerChanges1764000000012 } from './1764000000012-CreateLedgerChanges';
import { CreateWindowBases1764000000013 } from './1764000000013-CreateWindowBases';

/**
 * Every migration, in the order it applies. Listed by hand (no globs): the
 * build and the tests see exactly these, and a db-spec checks that every file
 * in this folder is listed here.
 */
export const MIGRATIONS = [
  CreateCapsules1764000000000,
  CreateCapsuleRuns1764000000001,
  CreateAnalyticsViews1764000000002,
  AddCapsuleRevisionsAndRunKeys1764000000003,
  CreateRunRollups1764000000004,
  CreateApiKeys1764000000005,
  FoldChecksumLookups1764000000006,
  CreateReadinessProbe1764000000007,
  ScheduledCapsulesLocalDay1764000000008,
  CreateAlerts1764000000009,
  CreateRevisionRollups1764000000010,
  CreateSlotOutcomes1764000000011,
  CreateLedgerChanges1764000000012,
  CreateWindowBases1764000000013,
];
