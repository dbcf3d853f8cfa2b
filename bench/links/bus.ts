import type { LinkFactory } from '../link.js';
export const busLink: LinkFactory = undefined as never;
