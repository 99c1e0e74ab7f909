package io.otaflow.schemas.registry;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Registries behind basic auth (Confluent Cloud) get the credentials on every request; others none. */
class SchemaRegistryClientAuthTest {
    @Test
    void basicAuthCredentialsGoOnEveryRequest() throws Exception {
        List<String> seen = new ArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        server.createContext("/subjects", exchange -> {
            seen.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            byte[] body = "[\"a-value\"]".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            assertThat(new SchemaRegistryClient(url, Duration.ofSeconds(5), "key:secret").subjects()).containsExactly("a-value");
            new SchemaRegistryClient(url, Duration.ofSeconds(5), null).subjects();
        } finally {
            server.stop(0);
        }
        assertThat(seen).containsExactly("Basic " + Base64.getEncoder().encodeToString("key:secret".getBytes(StandardCharsets.UTF_8)), "null");
    }

    @Test
    void credentialsWithoutAColonAreRefused() {
        assertThatThrownBy(() -> new SchemaRegistryClient("http://127.0.0.1:1", Duration.ofSeconds(1), "just-a-key"))
                .hasMessageContaining("USER:PASSWORD");
    }
}
