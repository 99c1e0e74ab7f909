package io.otaflow.simulators.device;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.otaflow.picowota.BinaryInfo;
import io.otaflow.picowota.FlashInfo;
import io.otaflow.picowota.ImageHeader;
import io.otaflow.picowota.Words;
import io.otaflow.simulators.bootloader.PicowotaBootloader;
import io.otaflow.simulators.bootloader.SocketConnection;
import io.otaflow.simulators.flash.NorFlash;
import io.otaflow.simulators.flash.SectorPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Raspberry Pi Pico W running a picowota app, as the network sees it. At every reset it
 * decides like picowota does: the stay-in-bootloader magic (or the button) keeps it in the
 * bootloader, otherwise a valid image header boots the app at its vtor, otherwise the bootloader.
 * The app reports the firmware type and version read from the running image's binary info, and
 * serves {@code GET /api/v1/metadata} and {@code POST /api/v1/reboot}; the bootloader serves
 * picowota on its own port. Flash contents survive power cycles; the magic survives resets but
 * not power cycles, and nothing clears it after an OTA, as on the real device.
 */
public final class SimulatedDevice implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SimulatedDevice.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String METADATA_PATH = "/api/v1/metadata";
    public static final String REBOOT_PATH = "/api/v1/reboot";
    public static final String LOCK_PATH = "/api/v1/lock";

    /** What the device is doing, as an observer could tell. */
    public enum Mode {
        OFF, STARTING, APP, BOOTLOADER, DEAD
    }

    private final DeviceConfig config;
    private final NorFlash flash;
    private final FlashInfo info = FlashInfo.PICO_W;
    private final HttpFrontend frontend;
    private final PicowotaBootloader bootloader;
    private volatile Faults faults;

    private final Object lock = new Object();
    private Mode mode = Mode.OFF;
    private long resetCount;
    private boolean scratchMagic;
    private volatile boolean button;
    private volatile boolean locked;
    private long poweredOnAtNanos;
    private long appStartedAtNanos;
    private volatile BinaryInfo.ProgramInfo running;
    private boolean flashedOverTheAir;
    /** The program the device ran before any OTA (its factory firmware); the one a no-boot device still runs. */
    private BinaryInfo.ProgramInfo factoryProgram;
    private HttpFrontend.Binding http;
    private ServerSocket otaServer;
    private Mqtt5AsyncClient mqtt;

    public SimulatedDevice(DeviceConfig config, SectorPool pool, HttpFrontend frontend) {
        this.config = config;
        this.flash = new NorFlash(FlashInfo.XIP_BASE, FlashInfo.PICO_W_FLASH_BYTES, pool);
        this.frontend = frontend;
        this.faults = config.faults();
        this.locked = config.locked();
        this.bootloader = new PicowotaBootloader(config.id(), flash, info, new BootloaderHandover(), config.timing(),
                config.faults(), config.readQuirk());
    }

    /** Puts an image into flash and seals it, as the factory (or a wired flash) would; the device must be off. */
    public void install(byte[] image, int address) {
        synchronized (lock) {
            if (mode != Mode.OFF) {
                throw new IllegalStateException("device " + config.id() + " must be off to install an image");
            }
            installImage(flash, info, image, address);
        }
    }

    /** Writes and seals an image into a flash chip without the protocol (factory programming). */
    public static void installImage(NorFlash flash, FlashInfo info, byte[] image, int address) {
        byte[] padded = java.util.Arrays.copyOf(image, (image.length + 255) / 256 * 256);
        long start = Integer.toUnsignedLong(address);
        flash.erase(start, (padded.length + 4095) / 4096 * 4096);
        flash.program(start, padded);
        ImageHeader header = new ImageHeader(address, padded.length, io.otaflow.picowota.Crc.crc32(padded));
        long headerAddress = Integer.toUnsignedLong(info.headerAddress());
        flash.erase(headerAddress, info.eraseSize());
        flash.program(headerAddress, header.encode());
        flash.compact();
    }

    /** Copies another (powered-off) device's flash, sharing its sectors: how a fleet is made cheaply. */
    public void cloneFlashFrom(SimulatedDevice other) {
        synchronized (lock) {
            flash.copyFrom(other.flash);
        }
    }

    public void powerOn() {
        synchronized (lock) {
            if (mode != Mode.OFF) {
                return;
            }
            poweredOnAtNanos = System.nanoTime();
            scratchMagic = false; // watchdog scratch registers do not survive power loss
            bootLocked(false);
        }
    }

    /** Cuts power: every connection drops, flash keeps its contents, the magic is lost. */
    public void powerOff() {
        synchronized (lock) {
            stopNetworkLocked(false);
            resetCount++;
            mode = Mode.OFF;
            running = null;
        }
    }

    public void powerCycle() {
        powerOff();
        powerOn();
    }

    /** Holds the bootloader button (GPIO15 low) at the next reset. */
    public void holdButton(boolean held) {
        button = held;
    }

    public void setLocked(boolean locked) {
        this.locked = locked;
        publishState();
    }

    public void faults(Faults faults) {
        this.faults = faults;
        bootloader.faults(faults);
    }

    public Mode mode() {
        synchronized (lock) {
            return mode;
        }
    }

    public DeviceConfig config() {
        return config;
    }

    public String id() {
        return config.id();
    }

    /** The running app's program name and version, or empty when no app runs. */
    public Optional<BinaryInfo.ProgramInfo> running() {
        return Optional.ofNullable(running);
    }

    public NorFlash flash() {
        return flash;
    }

    public long resets() {
        synchronized (lock) {
            return resetCount;
        }
    }

    // ---------------------------------------------------------------- boot

    private void bootLocked(boolean fromReboot) {
        long reset = ++resetCount;
        if (fromReboot && faults.neverReturns()) {
            mode = Mode.DEAD;
            log.info("device {}: did not come back from reboot (fault)", config.id());
            return;
        }
        mode = Mode.STARTING;
        if (button || scratchMagic) {
            enterBootloaderLocked(reset, fromReboot);
            return;
        }
        ImageHeader header = ImageHeader.decode(flash.read(Integer.toUnsignedLong(info.headerAddress()), ImageHeader.LENGTH));
        Optional<String> problem = header.check(bootloader::memoryView);
        if (problem.isPresent()) {
            log.info("device {}: no bootable image ({}): staying in the bootloader", config.id(), problem.get());
            enterBootloaderLocked(reset, fromReboot);
        } else {
            startAppLocked(reset, header.vtor());
        }
    }

    private void enterBootloaderLocked(long reset, boolean fromReboot) {
        Duration delay = networkDelay().plus(fromReboot ? faults.slowReboot() : Duration.ZERO);
        later(delay, reset, () -> {
            try {
                ServerSocket server = new ServerSocket();
                server.setReuseAddress(true);
                server.bind(config.ota(), 1);
                otaServer = server;
                mode = Mode.BOOTLOADER;
                Thread.ofVirtual().name("picowota-" + config.id()).start(() -> acceptLoop(server));
                log.debug("device {}: bootloader listening on {}", config.id(), config.otaEndpoint());
            } catch (IOException e) {
                log.warn("device {}: bootloader cannot listen on {}: {}", config.id(), config.otaEndpoint(), e.toString());
                mode = Mode.DEAD;
            }
        });
    }

    private void startAppLocked(long reset, int vtor) {
        byte[] vectors = bootloader.memoryView(Integer.toUnsignedLong(vtor), 8);
        long stack = Integer.toUnsignedLong(Words.read(vectors, 0));
        long resetVector = Integer.toUnsignedLong(Words.read(vectors, 4));
        BinaryInfo.ProgramInfo program = BinaryInfo.read(bootloader::memoryView, Integer.toUnsignedLong(vtor))
                .orElse(new BinaryInfo.ProgramInfo(null, null));
        if (!flashedOverTheAir && factoryProgram == null) {
            factoryProgram = program;
        }
        boolean crashes = stack < ImageHeader.SRAM_BASE || (resetVector & 1) == 0
                || (flashedOverTheAir && faults.newFirmwareNoBoot() && !program.equals(factoryProgram));
        later(config.timing().appStart(), reset, () -> {
            if (crashes) {
                // A crashing app: the watchdog resets the chip; the magic decides where it lands.
                log.info("device {}: firmware at {} does not boot: watchdog reset", config.id(), Words.hex(Integer.toUnsignedLong(vtor)));
                if (scratchMagic) {
                    bootLocked(false);
                } else {
                    mode = Mode.DEAD;
                }
                return;
            }
            running = program;
            appStartedAtNanos = System.nanoTime();
            later(networkDelay(), reset, () -> {
                try {
                    http = frontend.bind(config.http(), this::handleHttp);
                } catch (Exception e) { // Netty rethrows a BindException unchecked, undeclared
                    log.warn("device {}: app cannot serve on {}: {}", config.id(), config.httpUrl(), e.toString());
                    mode = Mode.DEAD;
                    return;
                }
                mode = Mode.APP;
                connectMqtt();
                log.debug("device {}: app {} {} serving on {}", config.id(), program.name(), program.version(), config.httpUrl());
            });
        });
    }

    /** Wi-Fi join and DHCP, and any remaining unreachable window after power-on. */
    private Duration networkDelay() {
        Duration network = config.timing().networkUp();
        Duration unreachableLeft = faults.unreachableFor().minusNanos(System.nanoTime() - poweredOnAtNanos);
        return unreachableLeft.compareTo(network) > 0 ? unreachableLeft : network;
    }

    /** Runs a step of this boot later, unless the device was reset or powered off meanwhile. */
    private void later(Duration delay, long reset, Runnable step) {
        Runnable guarded = () -> {
            synchronized (lock) {
                if (resetCount == reset && mode != Mode.OFF && mode != Mode.DEAD) {
                    step.run();
                }
            }
        };
        if (delay.isZero() || delay.isNegative()) {
            Thread.ofVirtual().start(guarded);
        } else {
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(delay);
                    guarded.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    private void resetLocked(boolean toBootloader) {
        stopNetworkLocked(true);
        running = null;
        scratchMagic = toBootloader;
        bootLocked(true);
    }

    private void stopNetworkLocked(boolean willMessage) {
        if (http != null) {
            http.close();
            http = null;
        }
        if (otaServer != null) {
            try {
                otaServer.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            otaServer = null;
        }
        if (mqtt != null) {
            Mqtt5AsyncClient client = mqtt;
            mqtt = null;
            client.disconnectWith().reasonCode(willMessage ? Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE
                    : Mqtt5DisconnectReasonCode.NORMAL_DISCONNECTION).send();
        }
    }

    // ---------------------------------------------------------------- bootloader

    private final AtomicBoolean clientConnected = new AtomicBoolean();

    private void acceptLoop(ServerSocket server) {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return; // closed by a reset
            }
            if (!clientConnected.compareAndSet(false, true)) {
                SocketConnection.reset(socket); // one client at a time: the second is reset
                continue;
            }
            Thread.ofVirtual().name("picowota-session-" + config.id()).start(() -> {
                try {
                    bootloader.serve(new SocketConnection(socket, () -> clientConnected.set(false)));
                } finally {
                    clientConnected.set(false);
                }
            });
        }
    }

    /** What GOGO and BOOT do to the device. */
    private final class BootloaderHandover implements PicowotaBootloader.Device {
        @Override
        public void jump(int vtor) {
            synchronized (lock) {
                stopNetworkLocked(false);
                flashedOverTheAir = true;
                mode = Mode.STARTING;
                startAppLocked(resetCount, vtor);
            }
        }

        @Override
        public void reboot(boolean toBootloader) {
            synchronized (lock) {
                resetLocked(toBootloader);
            }
        }
    }

    // ---------------------------------------------------------------- app

    private HttpFrontend.Reply handleHttp(String method, String path, Map<String, String> headers, String body) {
        if (!config.auth().accepts(headers.get("authorization"))) {
            return new HttpFrontend.Reply(401, "application/json", "{\"error\":\"unauthorized\"}",
                    Map.of("WWW-Authenticate", config.auth().challenge()));
        }
        return switch (path) {
            case METADATA_PATH -> method.equals("GET") ? HttpFrontend.Reply.json(200, metadata().toString()) : notAllowed();
            case REBOOT_PATH -> method.equals("POST") ? reboot(body) : notAllowed();
            case LOCK_PATH -> method.equals("PUT") ? lock(body) : notAllowed();
            default -> HttpFrontend.Reply.json(404, "{\"error\":\"not found\"}");
        };
    }

    private static HttpFrontend.Reply notAllowed() {
        return HttpFrontend.Reply.json(405, "{\"error\":\"method not allowed\"}");
    }

    /** The app's metadata: what the running image says, the lock, uptime. */
    public ObjectNode metadata() {
        BinaryInfo.ProgramInfo program = running;
        ObjectNode node = JSON.createObjectNode()
                .put("deviceId", config.id())
                .put("firmwareType", program == null || program.name() == null ? "unknown" : program.name())
                .put("firmwareVersion", program == null || program.version() == null ? "unknown" : program.version())
                .put("locked", locked)
                .put("mode", "app")
                .put("uptimeMs", (System.nanoTime() - appStartedAtNanos) / 1_000_000)
                .put("hardware", config.hardware());
        return node;
    }

    private HttpFrontend.Reply reboot(String body) {
        boolean toBootloader;
        try {
            JsonNode request = body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
            toBootloader = request.path("bootloader").asBoolean(false);
        } catch (IOException e) {
            return HttpFrontend.Reply.json(400, "{\"error\":\"body must be JSON like {\\\"bootloader\\\": true}\"}");
        }
        requestReboot(toBootloader);
        return HttpFrontend.Reply.json(202, "{\"rebooting\":true,\"bootloader\":" + toBootloader + "}");
    }

    /** The app's picowota_reboot(toBootloader), after the reboot delay; a fault may swallow it. */
    public void requestReboot(boolean toBootloader) {
        if (faults.ignoreReboot()) {
            log.info("device {}: ignoring a reboot request (fault)", config.id());
            return;
        }
        long reset;
        synchronized (lock) {
            reset = resetCount;
        }
        later(config.timing().rebootDelay(), reset, () -> {
            if (mode == Mode.APP) {
                resetLocked(toBootloader);
            }
        });
    }

    private HttpFrontend.Reply lock(String body) {
        try {
            JsonNode request = JSON.readTree(body);
            if (!request.path("locked").isBoolean()) {
                return HttpFrontend.Reply.json(400, "{\"error\":\"body must be {\\\"locked\\\": true|false}\"}");
            }
            setLocked(request.path("locked").asBoolean());
            return HttpFrontend.Reply.json(200, metadata().toString());
        } catch (IOException e) {
            return HttpFrontend.Reply.json(400, "{\"error\":\"body must be JSON\"}");
        }
    }

    // ---------------------------------------------------------------- MQTT

    public static String stateTopic(String deviceId) {
        return "otaflow/devices/" + deviceId + "/state";
    }

    public static String commandTopic(String deviceId) {
        return "otaflow/devices/" + deviceId + "/command";
    }

    private void connectMqtt() {
        if (config.mqttUrl() == null) {
            return;
        }
        URI broker = URI.create(config.mqttUrl());
        Mqtt5AsyncClient client = Mqtt5Client.builder().identifier(config.id())
                .serverHost(broker.getHost()).serverPort(broker.getPort() < 0 ? 1883 : broker.getPort())
                .willPublish().topic(stateTopic(config.id())).payload("offline".getBytes(StandardCharsets.UTF_8))
                .qos(MqttQos.AT_LEAST_ONCE).retain(true).applyWillPublish()
                .buildAsync();
        mqtt = client;
        client.connect().thenCompose(ack -> client.subscribeWith().topicFilter(commandTopic(config.id()))
                        .callback(publish -> onCommand(new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8))).send())
                .whenComplete((ack, error) -> {
                    if (error != null) {
                        log.warn("device {}: MQTT connection to {} failed: {}", config.id(), config.mqttUrl(), error.toString());
                    } else {
                        publishState();
                    }
                });
    }

    private void publishState() {
        Mqtt5AsyncClient client = mqtt;
        if (client == null || running == null) {
            return;
        }
        client.publishWith().topic(stateTopic(config.id())).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                .payload(metadata().toString().getBytes(StandardCharsets.UTF_8)).send();
    }

    private void onCommand(String payload) {
        try {
            JsonNode command = JSON.readTree(payload);
            if ("reboot".equals(command.path("command").asText())) {
                requestReboot(command.path("bootloader").asBoolean(false));
            } else {
                log.info("device {}: ignoring unknown MQTT command {}", config.id(), payload);
            }
        } catch (IOException e) {
            log.info("device {}: ignoring an MQTT command that is not JSON", config.id());
        }
    }

    @Override
    public void close() {
        powerOff();
    }
}
