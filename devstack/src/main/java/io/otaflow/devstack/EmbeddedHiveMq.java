package io.otaflow.devstack;

import com.hivemq.embedded.EmbeddedHiveMQ;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** HiveMQ Community Edition, embedded: MQTT 3.1.1 and 5 on 127.0.0.1, in-memory persistence. */
public final class EmbeddedHiveMq implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedHiveMq.class);

    private final Path home;
    private final int port;
    private EmbeddedHiveMQ broker;

    public EmbeddedHiveMq(Path home) {
        this.home = home;
        this.port = FreePorts.next();
    }

    public EmbeddedHiveMq start() {
        try {
            Path conf = Files.createDirectories(home.resolve("conf"));
            Path data = Files.createDirectories(home.resolve("data"));
            Path extensions = Files.createDirectories(home.resolve("extensions"));
            Files.writeString(conf.resolve("config.xml"), """
                    <?xml version="1.0"?>
                    <hivemq>
                        <listeners>
                            <tcp-listener>
                                <port>%d</port>
                                <bind-address>127.0.0.1</bind-address>
                            </tcp-listener>
                        </listeners>
                        <persistence>
                            <mode>in-memory</mode>
                        </persistence>
                        <anonymous-usage-statistics>
                            <enabled>false</enabled>
                        </anonymous-usage-statistics>
                    </hivemq>
                    """.formatted(port));
            broker = EmbeddedHiveMQ.builder()
                    .withConfigurationFolder(conf)
                    .withDataFolder(data)
                    .withExtensionsFolder(extensions)
                    // otaflow's own logging setup stays in charge.
                    .withoutLoggingBootstrap()
                    .build();
            broker.start().get(60, TimeUnit.SECONDS);
            log.info("HiveMQ CE listening on {}", url());
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the HiveMQ folders under " + home, e);
        } catch (Exception e) {
            throw new IllegalStateException("HiveMQ did not start: " + e, e);
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "tcp://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        if (broker != null) {
            try {
                broker.stop().get(30, TimeUnit.SECONDS);
                broker.close();
            } catch (Exception e) {
                log.warn("HiveMQ did not stop cleanly: {}", e.toString());
            }
            broker = null;
        }
    }
}
