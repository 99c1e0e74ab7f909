# Sourced by ./otaflow and .ci/run: sets JAVA_HOME to a JDK >= 21, or explains and fails.
# Looks at JAVA_HOME first, then the system's JVM directory (newest first), then java on PATH.

otaflow_java_major() {
  # prints the major version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

otaflow_find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/* 2>/dev/null | sort -rV) \
                   "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null)" 2>/dev/null)" 2>/dev/null)" 2>/dev/null)"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(otaflow_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "otaflow needs a JDK 21 or newer (java and javac). None found in JAVA_HOME (${JAVA_HOME:-unset})," >&2
  echo "in /usr/lib/jvm, or on PATH. Install one (e.g. Temurin 21+) and set JAVA_HOME to it." >&2
  return 1
}
