/** The player module is plain JavaScript; the dashboard only needs its side effect (the element). */
declare module '*/player.js';
