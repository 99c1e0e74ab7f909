package io.otaflow.connectors.discovery;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Polls devices' metadata over HTTP, many at once on virtual threads, at most {@code concurrency}
 * in flight. Credentials come from the Configuration's discoveryProperties ({@code AUTH_USER} and
 * {@code AUTH_PASS} for basic, {@code AUTH_TOKEN} for bearer), as the paper's broker properties.
 */
public final class MetadataPoller implements AutoCloseable {
    private final HttpClient http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final String authorization;

    public MetadataPoller(Map<String, String> properties) {
        this.http = HttpClient.newBuilder().executor(executor).connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.authorization = authorization(properties);
    }

    static String authorization(Map<String, String> properties) {
        String token = properties.get("AUTH_TOKEN");
        if (token != null && !token.isBlank()) {
            return "Bearer " + token;
        }
        String user = properties.get("AUTH_USER");
        if (user != null && !user.isBlank()) {
            String pass = properties.getOrDefault("AUTH_PASS", "");
            return "Basic " + Base64.getEncoder().encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8));
        }
        return null;
    }

    /** Polls every target once; the results come back in the targets' order. */
    public List<PollResult> pollAll(List<URI> targets, DiscoveryDetails details) throws InterruptedException {
        MetadataParser parser = new MetadataParser(details.profile());
        Semaphore slots = new Semaphore(details.concurrency());
        List<Future<PollResult>> futures = new ArrayList<>(targets.size());
        for (URI target : targets) {
            slots.acquire();
            futures.add(executor.submit(() -> {
                try {
                    return poll(target, details, parser);
                } finally {
                    slots.release();
                }
            }));
        }
        List<PollResult> results = new ArrayList<>(targets.size());
        for (int i = 0; i < futures.size(); i++) {
            try {
                results.add(futures.get(i).get());
            } catch (java.util.concurrent.ExecutionException e) {
                results.add(new PollResult.Unreachable(targets.get(i), e.getCause().toString()));
            }
        }
        return results;
    }

    PollResult poll(URI target, DiscoveryDetails details, MetadataParser parser) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target + details.metadataPath()))
                .timeout(details.timeout()).header("Accept", "application/json").GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<InputStream> response;
        byte[] body;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                body = in.readNBytes(MetadataParser.MAX_BODY_BYTES + 1);
            }
        } catch (IOException e) {
            return new PollResult.Unreachable(target, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new PollResult.Unreachable(target, "interrupted");
        }
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            return new PollResult.Bad(target, "HTTP " + response.statusCode() + ": the device refused our credentials", response.statusCode(), body);
        }
        if (response.statusCode() != 200) {
            return new PollResult.Bad(target, "HTTP " + response.statusCode() + " from " + details.metadataPath(), response.statusCode(), body);
        }
        try {
            return new PollResult.Answered(target, parser.parse(body, response.headers().firstValue("Content-Type").orElse(null)));
        } catch (MetadataParser.BadMetadataException e) {
            return new PollResult.Bad(target, e.getMessage(), response.statusCode(), body);
        }
    }

    @Override
    public void close() {
        http.close();
        executor.shutdownNow();
    }
}
