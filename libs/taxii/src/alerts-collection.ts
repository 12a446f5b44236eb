import { Injectable } from '@nestjs/common';
import { AlertsService } from '@app/alerts';
import { prepared, type SqlClient } from '@app/database';
import { alertObjects, KEYED_TOKEN_TYPE, sharedObjects, type StixObject } from './stix/alert-objects.js';

/** A STIX object to store, and the alert version it was made from (indicators and sightings only). */
export interface SourcedObject {
  object: StixObject;
  alertId?: string;
  alertVersion?: number;
}

/**
 * Where a collection's objects come from. The feed asks for what changed
 * since its last look, in the member's transaction; a `campaigns`
 * collection is another source beside this one.
 */
export interface CollectionSource {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Objects every such collection holds (the federation, extension definitions). */
  shared(): StixObject[];
  /** Up to `max` new versions the collection does not hold yet, as objects. */
  changed(db: SqlClient, memberId: string, collection: string, max: number): Promise<SourcedObject[]>;
}

/**
 * Alerts whose current version the member's `alerts` collection does not
 * hold yet (by its indicator), oldest first.
 */
const PENDING_ALERTS = `
  SELECT a.id FROM alerts a
   WHERE a.member_id = $1::uuid
     AND NOT EXISTS (SELECT 1 FROM taxii_objects t
                      WHERE t.member_id = $1::uuid AND t.collection = $2 AND t.alert_id = a.id
                        AND t.type = 'indicator' AND t.alert_version = a.version)
   ORDER BY a.created_at, a.id
   LIMIT $3`;

/** The member's alerts as STIX: read through AlertsService, so the objects show exactly what the alert shows. */
@Injectable()
export class AlertsCollection implements CollectionSource {
  readonly id = 'alerts';
  readonly title = 'Alerts';
  readonly description =
    "Your alerts: for each, the keyed token observable, an indicator with a pattern over it and a sighting by the federation's other holders.";

  constructor(private readonly alerts: AlertsService) {}

  shared(): StixObject[] {
    return sharedObjects();
  }

  async changed(db: SqlClient, memberId: string, collection: string, max: number): Promise<SourcedObject[]> {
    const { rows } = await db.query<{ id: string }>(prepared(PENDING_ALERTS, [memberId, collection, max]));
    if (rows.length === 0) return [];
    const alerts = await this.alerts.readMany(
      db,
      memberId,
      rows.map((r) => r.id),
    );
    alerts.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    return alerts.flatMap((alert) =>
      alertObjects(alert).map((object): SourcedObject => {
        if (object.type === 'indicator' || object.type === 'sighting') return { object, alertId: alert.id, alertVersion: alert.version };
        // Gone with its alert; the holders' identities are shared by several alerts and stay.
        return object.type === KEYED_TOKEN_TYPE ? { object, alertId: alert.id } : { object };
      }),
    );
  }
}
