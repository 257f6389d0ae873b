/**
 * The four structured-output routes by id and title, apart from routes.ts so the panel can lay
 * out its cards without bundling the routes' engines, ajv and jsonrepair.
 */
export type RouteId = 'prompting' | 'repair' | 'constrained' | 'test_time';
export const ROUTE_IDS: readonly RouteId[] = ['prompting', 'repair', 'constrained', 'test_time'];
export const ROUTE_TITLES: Record<RouteId, string> = {
  prompting: 'Prompting + validation',
  repair: 'Post-processing (jsonrepair)',
  constrained: 'Constrained sampling',
  test_time: 'Test-time compute (best valid of N)',
};
