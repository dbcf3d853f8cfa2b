/**
 * Registers `abstract://` in this process. Import it before the first `Bus.listen`/`connect`
 * on an `abstract://` URL, or preload it into a program: `node --import ./register.js app.js`.
 * @module
 */
import { registerTransport } from 'unibus/transport-kit';
import { abstractTransport } from './abstract-transport.js';

registerTransport(abstractTransport);
