package io.otaflow.deploy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Fields a typed model did not know: fabric8's and Strimzi's classes keep them in
 * {@code additionalProperties} instead of failing, which is how a misspelt {@code resource:} or a
 * field from another API version would pass unseen. A real API server would drop or refuse them.
 */
final class UnknownFields {
    private UnknownFields() {
    }

    static List<String> of(Object object) {
        List<String> found = new ArrayList<>();
        walk(object, object.getClass().getSimpleName(), found, 0);
        return found;
    }

    private static void walk(Object value, String path, List<String> found, int depth) {
        if (value == null || depth > 40 || value instanceof GenericKubernetesResource) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", found, depth + 1);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "." + k, found, depth + 1));
            return;
        }
        String pkg = value.getClass().getPackageName();
        if (!(pkg.startsWith("io.fabric8.") || pkg.startsWith("io.strimzi.")) || value instanceof Quantity || value instanceof IntOrString
                || value.getClass().isEnum()) {
            return;
        }
        for (Method method : value.getClass().getMethods()) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers()) || method.getDeclaringClass() == Object.class
                    || !(method.getName().startsWith("get") || method.getName().startsWith("is"))) {
                continue;
            }
            Object child;
            try {
                child = method.invoke(value);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (method.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    found.add(path + ": " + extra.keySet());
                }
            } else if (child != null && child != value) {
                walk(child, path + "." + property(method.getName()), found, depth + 1);
            }
        }
    }

    private static String property(String getter) {
        String name = getter.startsWith("is") ? getter.substring(2) : getter.substring(3);
        return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }
}
