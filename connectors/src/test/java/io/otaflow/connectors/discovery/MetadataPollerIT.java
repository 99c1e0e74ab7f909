package io.otaflow.connectors.discovery;

import io.otaflow.devstack.FreePorts;
import com.sun.net.httpserver.HttpServer;
import io.otaflow.picowota.AppImage;
import io.otaflow.simulators.device.DeviceAuth;
import io.otaflow.simulators.device.DeviceConfig;
import io.otaflow.simulators.device.HttpFrontend;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.flash.SectorPool;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Polling real HTTP: credentials from discoveryProperties, and a device too slow to answer. */
class MetadataPollerIT {

    @Test
    void credentialsFromDiscoveryPropertiesAreSentAndRefusalsAreBadInput() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (HttpFrontend frontend = new HttpFrontend(1)) {
            SimulatedDevice device = new SimulatedDevice(DeviceConfig.of("pico-auth", new InetSocketAddress(lo, FreePorts.next()),
                    new InetSocketAddress(lo, FreePorts.next())).withAuth(new DeviceAuth.Basic("akri", "s3cret")), new SectorPool(4096), frontend);
            device.install(AppImage.build("blink", "1.0.0", 4096), AppImage.DEFAULT_BASE);
            device.powerOn();
            await().atMost(Duration.ofSeconds(10)).until(device::mode, m -> m == SimulatedDevice.Mode.APP);
            DiscoveryDetails details = DiscoveryDetails.parse("endpoints: [\"" + device.config().httpUrl() + "\"]");
            try (MetadataPoller right = new MetadataPoller(Map.of("AUTH_USER", "akri", "AUTH_PASS", "s3cret"));
                 MetadataPoller wrong = new MetadataPoller(Map.of("AUTH_USER", "akri", "AUTH_PASS", "guess"))) {
                assertThat(right.pollAll(details.targets(), details)).singleElement().isInstanceOfSatisfying(PollResult.Answered.class,
                        a -> assertThat(a.metadata().deviceId()).isEqualTo("pico-auth"));
                assertThat(wrong.pollAll(details.targets(), details)).singleElement().isInstanceOfSatisfying(PollResult.Bad.class,
                        b -> assertThat(b.reason()).contains("refused our credentials"));
            } finally {
                device.close();
            }
        }
    }

    @Test
    void aDeviceThatAnswersTooSlowlyIsAMissNotAHang() throws Exception {
        HttpServer slow = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        slow.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        slow.createContext("/", exchange -> {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException ignored) {
                // shutting down
            }
            exchange.close();
        });
        slow.start();
        try (MetadataPoller poller = new MetadataPoller(Map.of())) {
            DiscoveryDetails details = DiscoveryDetails.parse("endpoints: [\"http://127.0.0.1:" + slow.getAddress().getPort() + "\"]\ntimeout: 200ms");
            long start = System.nanoTime();
            List<PollResult> results = poller.pollAll(details.targets(), details);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            assertThat(results).singleElement().isInstanceOfSatisfying(PollResult.Unreachable.class,
                    u -> assertThat(u.reason()).contains("Timeout"));
            assertThat(results.get(0).target()).isEqualTo(URI.create("http://127.0.0.1:" + slow.getAddress().getPort()));
        } finally {
            slow.stop(0);
        }
    }
}
