// Config files another user could write are refused (group- or world-writable: src/config/trust.ts).
// Tests write configs with plain writeFileSync: give them the usual 022 umask, also on machines whose
// default is 002 (user private groups), so a test's own files are never taken for someone else's.
process.umask(0o022);
