# Sourced by ./otaflow, ./mvnw and .ci/run (POSIX sh): sets JAVA_HOME to a JDK >= 21, or explains and fails.
# JAVA_HOME wins when it is new enough; otherwise the newest JDK in the system's JVM directory
# (OTAFLOW_JVM_DIR, default /usr/lib/jvm) or the one behind `java` on PATH.

otaflow_java_major() {
  # prints the major version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

otaflow_find_jdk() {
  best= best_major=0 path_jdk=
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(otaflow_java_major "$JAVA_HOME/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      export OTAFLOW_JAVA_MAJOR="$major"
      return 0
    fi
  fi
  java_on_path=$(command -v java 2>/dev/null) && path_jdk=$(dirname "$(dirname "$(readlink -f "$java_on_path")")")
  for candidate in "${OTAFLOW_JVM_DIR:-/usr/lib/jvm}"/* "$path_jdk"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(otaflow_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate best_major=$major
    fi
  done
  if [ "$best_major" -ge 21 ]; then
    export JAVA_HOME="$best" OTAFLOW_JAVA_MAJOR="$best_major"
    return 0
  fi
  echo "otaflow needs a JDK 21 or newer (java and javac). None found: JAVA_HOME is ${JAVA_HOME:-unset}," >&2
  echo "the newest JDK in ${OTAFLOW_JVM_DIR:-/usr/lib/jvm} or on PATH is ${best_major:-none}." >&2
  echo "Install one (e.g. Temurin 21 or newer) and set JAVA_HOME to it." >&2
  return 1
}
