package io.otaflow.devstack.junit;

import io.otaflow.devstack.DevStack;
import io.otaflow.schemas.topics.TopicCatalog;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension: one embedded platform per test JVM, started by the first test class that asks
 * for it and stopped when the JVM's tests end. Inject it as a {@link DevStack} parameter of a test,
 * a constructor or a {@code @BeforeAll} method: {@code @ExtendWith(SharedDevStack.class)}.
 * otaflow's topics are created with the default catalog.
 */
public final class SharedDevStack implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedDevStack.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == DevStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent("stack", key -> new Resource(), Resource.class).stack;
    }

    /** Closed by JUnit with the root context, after the last test of the JVM. */
    private static final class Resource implements AutoCloseable {
        final DevStack stack;

        Resource() {
            stack = DevStack.temporary().start();
            stack.createTopics(new TopicCatalog());
        }

        @Override
        public void close() {
            stack.close();
        }
    }
}
