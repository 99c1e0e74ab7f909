package io.otaflow.connectors.discovery;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DiscoveryDetailsTest {

    @Test
    void rangesBlocksHostsAndEndpointsExpandToTargets() {
        DiscoveryDetails details = DiscoveryDetails.parse("""
                addresses: ["10.0.0.0/30", "192.168.1.10-192.168.1.12", "pico-7.lan"]
                ports: [80, 8080]
                endpoints: ["http://127.10.0.1:8080/"]
                pollInterval: 500ms
                configuration: default/picow-blink
                """);
        assertThat(details.targets()).containsExactly(
                URI.create("http://10.0.0.1:80"), URI.create("http://10.0.0.1:8080"),
                URI.create("http://10.0.0.2:80"), URI.create("http://10.0.0.2:8080"),
                URI.create("http://192.168.1.10:80"), URI.create("http://192.168.1.10:8080"),
                URI.create("http://192.168.1.11:80"), URI.create("http://192.168.1.11:8080"),
                URI.create("http://192.168.1.12:80"), URI.create("http://192.168.1.12:8080"),
                URI.create("http://pico-7.lan:80"), URI.create("http://pico-7.lan:8080"),
                URI.create("http://127.10.0.1:8080"));
        assertThat(details.pollInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(details.configuration()).isEqualTo("default/picow-blink");
        assertThat(details.metadataPath()).isEqualTo("/api/v1/metadata");
        assertThat(details.otaPort()).isEqualTo(4242);
        assertThat(details.missesBeforeAbsent()).isEqualTo(3);
    }

    @Test
    void invalidDetailsSayWhichKeyAndWhy() {
        assertThatThrownBy(() -> DiscoveryDetails.parse("addresses: [10.0.0.0/8]")).hasMessageContaining("too wide");
        assertThatThrownBy(() -> DiscoveryDetails.parse("addresses: [not an address!]")).hasMessageContaining("addresses: 'not an address!'");
        assertThatThrownBy(() -> DiscoveryDetails.parse("addresses: [10.0.0.9-10.0.0.1]")).hasMessageContaining("ends before it starts");
        assertThatThrownBy(() -> DiscoveryDetails.parse("addresses: [10.0.0.1]\nports: [70000]")).hasMessageContaining("ports: '70000'");
        assertThatThrownBy(() -> DiscoveryDetails.parse("endpoints: [ftp://x]")).hasMessageContaining("not an http(s) URL");
        assertThatThrownBy(() -> DiscoveryDetails.parse("addresses: [10.0.0.1]\npollInterval: soon")).hasMessageContaining("pollInterval");
        assertThatThrownBy(() -> DiscoveryDetails.parse("addresses: [10.0.0.1]\nconcurrency: 0")).hasMessageContaining("concurrency");
        assertThatThrownBy(() -> DiscoveryDetails.parse("adresses: [10.0.0.1]")).hasMessageContaining("unknown key 'adresses'");
        assertThatThrownBy(() -> DiscoveryDetails.parse("ports: [80]")).hasMessageContaining("names no device");
        assertThatThrownBy(() -> DiscoveryDetails.parse("addresses: [10.0.0.1]\nprofile: mine")).hasMessageContaining("profile");
        assertThatThrownBy(() -> DiscoveryDetails.parse("{{{")).hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> DiscoveryDetails.parse("addresses: [10.0.0.1]\nconfiguration: Not/Valid")).hasMessageContaining("namespace/name");
    }
}
