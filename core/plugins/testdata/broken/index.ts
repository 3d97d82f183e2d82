/** Test plugin that fails to load: the registry must log and skip it. */
throw new Error('broken plugin: failed at import');
