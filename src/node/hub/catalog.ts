/** The catalog of small hub models Select Model offers (catalog.json: ids, parameters, licences, gating, approximate sizes, each with its source page). */
import type { Dtype } from '../../core/model/hubModel';
import catalog from './catalog.json';

export interface CatalogModel {
  id: string;
  parameters: string;
  licence: string;
  gated: boolean;
  /** Approximate download in MB per dtype (the pull shows the exact total). */
  downloadMB: Partial<Record<Dtype, number>>;
  source: string;
}

export const CATALOG: readonly CatalogModel[] = catalog.models as CatalogModel[];
