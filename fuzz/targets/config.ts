/**
 * The YAML configuration (config/load.ts parseConfigText): any text must give a Config or a
 * ConfigError, never another exception or a hang. Seeds are config/streamsight.yaml and
 * config/testdata/*.yaml; tokens add YAML structure (anchors, aliases, flow collections, tags,
 * `${VAR}` references, duplicate keys).
 *
 * Checks: only ConfigError escapes, and its message is non-empty; a Config comes back as an object
 * with a cameras map.
 */
import { ConfigError } from '../../core/errors.js';
import { parseConfigText } from '../../config/load.js';
import { allowing, invariant, type FuzzTarget } from '../harness.js';
import { mutatedText } from '../mutate.js';
import { configs } from '../seeds.js';

const TOKENS = [
  '\n', '  ', '- ', ': ', '#', '&a ', '*a', '<<: *a\n', '{', '}', '[', ']', ',', '"', "'", '!!str ', '!!binary ', '!!map ', '? ', '|\n', '>-\n',
  '${HOME}', '${NOPE:-x}', '$${', '~', 'null', 'true', '0x1F', '1e999', '-.inf', '.nan', '10GiB', 'cameras:\n', 'plugins:\n', 'url: rtsp://',
  'port: 8554\n', 'udpPortRange: [8000, 8001]\n', '\t', '---\n', '...\n', '%YAML 1.2\n', '\uFEFF', '__proto__: ', 'constructor: ',
];

/** YAML configuration text. */
export function configTarget(): FuzzTarget<string> {
  const env = { HOME: '/home/cam' };
  return {
    name: 'config',
    covers: 'parseConfigText (YAML syntax, duplicate keys, ${VAR}, schema): a Config or a ConfigError',
    arbitrary: mutatedText(configs, { tokens: TOKENS, maxOps: 4 }),
    run(text) {
      let err: unknown;
      const config = allowing([ConfigError], () => {
        try {
          return parseConfigText(text, 'fuzz.yaml', [], env);
        } catch (e) {
          err = e;
          throw e;
        }
      });
      if (config === undefined) {
        invariant(err instanceof ConfigError && err.message.trim() !== '', 'ConfigError without a message');
        return;
      }
      invariant(typeof config === 'object' && config !== null && typeof config.cameras === 'object', 'Config without cameras');
    },
  };
}
