// Cold-start floor: the Node built-ins any HTTPS client loads (no client, no request).
import 'node:https';
import 'node:crypto';
