{
  "targets": [
    {
      "target_name": "atlog_node_hash",
      "sources": ["node_hash.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"]
    }
  ]
}
