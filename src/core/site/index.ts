/** The release page's renderers (docs/site.md): pure, data in, HTML text out. */
export { renderIndex } from './index-page.js';
export { releaseInputs, renderRelease } from './release-page.js';
export { blocksOf } from './blocks.js';
export type { SiteData, SiteRelease, SiteChannel, SiteEvent, SiteKey } from './model.js';
