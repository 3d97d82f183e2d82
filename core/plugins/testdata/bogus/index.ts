/** Test "plugin" whose default export is not a definePlugin(...) result: skipped by the registry. */
export default { name: 'bogus' };
