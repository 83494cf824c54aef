{
  "targets": [
    {
      "target_name": "authctl_native",
      "sources": ["authctl_native.c"],
      "defines": ["NAPI_VERSION=8"],
      # Node's common.gypi strips "-Werror" from "cflags" ("cflags!") and adds
      # -Wno-unused-parameter, so the warning flags go into cflags_c, which it
      # leaves alone, and -Wunused-parameter turns that one back on.
      "cflags_c": ["-Wall", "-Wextra", "-Wunused-parameter", "-Werror"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "WARNING_CFLAGS": ["-Wall", "-Wextra"],
            "GCC_TREAT_WARNINGS_AS_ERRORS": "YES"
          }
        }]
      ]
    }
  ]
}
