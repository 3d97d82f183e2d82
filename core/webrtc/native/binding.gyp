{
  "targets": [
    {
      "target_name": "fastpath",
      "sources": ["fastpath.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
