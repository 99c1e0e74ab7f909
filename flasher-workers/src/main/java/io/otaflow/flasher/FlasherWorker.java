package io.otaflow.flasher;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashError;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.deadletter.DeadLetters;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Consumes flash commands and runs each on its own virtual thread, up to {@code maxConcurrent}
 * at once whatever the partition count. A command's offset is committed only once its terminal
 * progress event is acknowledged by Kafka, and only up to the lowest command still running in
 * its partition: a worker killed mid-flash loses nothing, its commands are redelivered and the
 * next worker finds the device in its bootloader (and flashes it again) or already updated.
 * Commands of partitions taken away are interrupted without a terminal event, for the same reason.
 */
public final class FlasherWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FlasherWorker.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, SpecificRecord> producer;
    private final AvroDeserializer<FlashCommand> commands;
    private final FlashJob job;
    private final TopicCatalog topics;
    private final Semaphore slots;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<TopicPartition, TreeSet<Long>> running = new HashMap<>();
    private final Map<TopicPartition, Long> consumed = new HashMap<>();
    private final Map<TopicPartition, Map<Long, Job>> jobs = new ConcurrentHashMap<>();
    /** How long a revocation waits for the interrupted flashes of the partitions it takes away to stop. */
    private static final Duration REVOKE_WAIT = Duration.ofSeconds(15);
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Per running command, the send of its terminal event, checked before its offset may move. */
    private final Map<String, Future<RecordMetadata>> terminalSends = new ConcurrentHashMap<>();
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
    private final Clock clock;
    private final MeterRegistry meters;
    private final Timer durations;
    private volatile boolean running_ = true;
    private final List<AutoCloseable> alsoClose = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Thread loop;

    public FlasherWorker(String bootstrapServers, String groupId, SchemaRegistry registry, TopicCatalog topics, FlashJob job,
                         int maxConcurrent, MeterRegistry meters, Clock clock) {
        this(bootstrapServers, groupId, registry, topics, job, maxConcurrent, meters, clock, Map.of());
    }

    /** @param consumerOverrides extra consumer settings (e.g. {@code session.timeout.ms}) */
    public FlasherWorker(String bootstrapServers, String groupId, SchemaRegistry registry, TopicCatalog topics, FlashJob job,
                         int maxConcurrent, MeterRegistry meters, Clock clock, Map<String, Object> consumerOverrides) {
        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        consumerProps.putAll(KafkaClientSecurity.fromEnvironment());
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, Math.min(500, maxConcurrent)));
        // Incremental rebalancing: a worker joining or leaving takes only the partitions that move,
        // so flashes on the others go on (the eager default revoked every partition on every step).
        consumerProps.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        consumerProps.putAll(consumerOverrides);
        this.consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer());
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        producerProps.putAll(KafkaClientSecurity.fromEnvironment());
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), new AvroSerializer<SpecificRecord>(registry, false));
        this.commands = new AvroDeserializer<>(registry, FlashCommand.class);
        this.job = job;
        this.topics = topics;
        this.slots = new Semaphore(maxConcurrent);
        this.clock = clock;
        this.meters = meters;
        // A histogram, so dashboards can take quantiles across all workers.
        this.durations = Timer.builder("otaflow.flasher.flash.duration").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofSeconds(1)).maximumExpectedValue(Duration.ofMinutes(15)).register(meters);
        for (FlashPhase result : List.of(FlashPhase.SUCCEEDED, FlashPhase.FAILED, FlashPhase.SKIPPED)) {
            outcomes(result); // present at zero, so rates start from the first scrape
        }
        meters.gauge("otaflow.flasher.in.flight", inFlight);
    }

    public FlasherWorker start() {
        consumer.subscribe(List.of(topics.flashCommands().name()), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                // Interrupt the flashes of the partitions that move, and wait until they stopped: one
                // that ends meanwhile has its terminal event acknowledged and is committed below, so
                // its new owner never runs it again; one interrupted sends nothing and is redelivered.
                List<Job> stopping = new ArrayList<>();
                for (TopicPartition partition : partitions) {
                    Map<Long, Job> moved = jobs.remove(partition);
                    if (moved != null) {
                        stopping.addAll(moved.values());
                    }
                }
                stopping.forEach(Job::interrupt);
                long until = System.nanoTime() + REVOKE_WAIT.toNanos();
                for (Job stopped : stopping) {
                    if (!stopped.awaitEnd(until)) {
                        log.warn("a flash of a revoked partition did not stop within {}; its command is redelivered", REVOKE_WAIT);
                    }
                }
                if (!stopping.isEmpty()) {
                    log.info("{} flashes interrupted: their partitions moved to another worker", stopping.size());
                    meters.counter("otaflow.flasher.interrupted.by.rebalance").increment(stopping.size());
                }
                commitSafe();
                for (TopicPartition partition : partitions) {
                    synchronized (running) {
                        running.remove(partition);
                        consumed.remove(partition);
                    }
                }
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            }
        });
        loop = Thread.ofPlatform().name("flasher-poll").start(this::pollLoop);
        return this;
    }

    private void pollLoop() {
        try {
            while (running_ || inFlight.get() > 0) {
                if (!running_ || slots.availablePermits() == 0) {
                    consumer.pause(consumer.assignment()); // keep polling (group liveness) without taking more
                } else {
                    consumer.resume(consumer.paused());
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (!running_) {
                        break; // stopping: what was fetched but not started is redelivered
                    }
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    synchronized (running) {
                        running.computeIfAbsent(partition, p -> new TreeSet<>()).add(record.offset());
                        consumed.put(partition, record.offset() + 1);
                    }
                    slots.acquireUninterruptibly();
                    inFlight.incrementAndGet();
                    Job task = new Job();
                    jobs.computeIfAbsent(partition, p -> new ConcurrentHashMap<>()).put(record.offset(), task);
                    executor.execute(() -> handle(partition, record, task));
                }
                commitSafe();
            }
        } catch (WakeupException e) {
            // stopping
        } finally {
            commitSafe();
            consumer.close();
        }
    }

    private void handle(TopicPartition partition, ConsumerRecord<String, byte[]> record, Job task) {
        boolean done = false;
        try {
            done = task.start() && carryOut(partition, record);
        } finally {
            inFlight.decrementAndGet();
            slots.release();
            Map<Long, Job> ofPartition = jobs.get(partition);
            if (ofPartition != null) {
                ofPartition.remove(record.offset());
            }
            if (done) {
                synchronized (running) {
                    TreeSet<Long> offsets = running.get(partition);
                    if (offsets != null) {
                        offsets.remove(record.offset());
                    }
                }
            }
            task.end(); // after the offset bookkeeping: a revocation that waits on it commits what ended
        }
    }

    /**
     * One command on its virtual thread. Interrupting it (its partition moved) ends the flash
     * without a terminal event; a job interrupted before it started never starts.
     */
    private static final class Job {
        private final CountDownLatch ended = new CountDownLatch(1);
        private Thread thread;
        private boolean interrupted;

        synchronized boolean start() {
            if (interrupted) {
                return false;
            }
            thread = Thread.currentThread();
            return true;
        }

        synchronized void interrupt() {
            interrupted = true;
            if (thread != null) {
                thread.interrupt();
            }
        }

        void end() {
            synchronized (this) {
                thread = null;
            }
            ended.countDown();
        }

        boolean awaitEnd(long untilNanos) {
            try {
                return ended.await(Math.max(0, untilNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /**
     * Runs one command to its terminal event; true once that event (and any dead letter) is
     * acknowledged by Kafka, so the offset may move past it. False when interrupted: the command
     * is redelivered and its next owner ends it.
     */
    private boolean carryOut(TopicPartition partition, ConsumerRecord<String, byte[]> record) {
        FlashCommand command;
        try {
            command = commands.deserialize(record);
        } catch (RuntimeException e) {
            // Nothing names the device or the command: the raw record goes to the dead letters.
            log.warn("dead-lettering an unreadable flash command at {} offset {}: {}", partition, record.offset(), e.getMessage());
            return deliver(topics.deadLetters().name(), record.key(), DeadLetters.of(record, e, "flasher-workers", clock.instant()));
        }
        FlashProgress terminal;
        try {
            terminal = run(command);
        } catch (RuntimeException e) {
            // A worker bug must not leave a command without its end, nor stop the partition.
            log.error("device {} command {}: the flash failed inside the worker: {}", command.getDeviceId(), command.getCommandId(), e.toString(), e);
            terminal = terminal(command, FlashErrorCode.INTERNAL, "the worker failed: " + e, true);
            if (!deliver(topics.flashProgress().name(), command.getDeviceId(), terminal)) {
                return false;
            }
            outcomes(terminal.getPhase()).increment();
            return true;
        }
        if (terminal == null) {
            return false; // interrupted: redelivered, the next owner ends it
        }
        if (terminal.getError() != null && terminal.getError().getCode() == FlashErrorCode.INVALID_COMMAND
                && !deliver(topics.deadLetters().name(), record.key(), DeadLetters.of(record,
                        new IllegalArgumentException(terminal.getError().getMessage()), "flasher-workers", clock.instant()))) {
            return false;
        }
        // The job sent the terminal event with the rest; it is sent again until Kafka acknowledges it.
        if (!acknowledged(command) && !deliver(topics.flashProgress().name(), command.getDeviceId(), terminal)) {
            return false;
        }
        outcomes(terminal.getPhase()).increment();
        if (terminal.getError() != null && terminal.getError().getInBootloader()) {
            meters.counter("otaflow.flasher.left.in.bootloader").increment();
        }
        return true;
    }

    private FlashProgress run(FlashCommand command) {
        if (!clock.instant().isBefore(command.getDeadline())) {
            FlashProgress late = terminal(command, FlashErrorCode.DEADLINE_EXCEEDED, "the command's deadline had passed when it was taken", true);
            send(late);
            return late;
        }
        long start = System.nanoTime();
        FlashProgress terminal = job.run(command, this::send);
        durations.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        return terminal;
    }

    private FlashProgress terminal(FlashCommand command, FlashErrorCode code, String message, boolean retryable) {
        return FlashProgress.newBuilder().setCommandId(command.getCommandId()).setDeviceId(command.getDeviceId())
                .setConfiguration(command.getConfiguration()).setGeneration(command.getGeneration()).setAttempt(command.getAttempt())
                .setTarget(command.getTo()).setRollback(command.getRollback()).setPhase(FlashPhase.FAILED).setTerminal(true)
                .setError(FlashError.newBuilder().setCode(code).setMessage(message).setRetryable(retryable).build())
                .setWorker("flasher").setAt(clock.instant()).build();
    }

    private void send(FlashProgress progress) {
        Future<RecordMetadata> sent = producer.send(new ProducerRecord<>(topics.flashProgress().name(), progress.getDeviceId(), progress), (metadata, error) -> {
            if (error != null) {
                log.error("device {} command {}: progress not sent: {}", progress.getDeviceId(), progress.getCommandId(), error.toString());
            }
        });
        if (progress.getTerminal()) {
            terminalSends.put(progress.getCommandId(), sent);
        }
    }

    /** Whether the terminal event the job sent for this command was acknowledged by Kafka. */
    private boolean acknowledged(FlashCommand command) {
        Future<RecordMetadata> sent = terminalSends.remove(command.getCommandId());
        if (sent == null) {
            return false;
        }
        try {
            sent.get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /**
     * Sends a record and waits for Kafka's acknowledgement, again and again while the worker runs:
     * a terminal event or dead letter is never skipped. False if the worker stopped first (the
     * offset then stays, and the command is redelivered).
     */
    private boolean deliver(String topic, String key, SpecificRecord value) {
        Duration pause = Duration.ofMillis(200);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                producer.send(new ProducerRecord<>(topic, key, value)).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
                if (!running_) {
                    log.warn("{} for {} not acknowledged and the worker is stopping: it is redelivered", value.getSchema().getName(), key);
                    return false;
                }
                log.warn("{} for {} not acknowledged ({}); sending it again", value.getSchema().getName(), key, e.toString());
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : pause.multipliedBy(2);
            }
        }
        return false;
    }

    /** Commits, per partition, up to the lowest command still running (or everything consumed). */
    private void commitSafe() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        synchronized (running) {
            consumed.forEach((partition, next) -> {
                TreeSet<Long> open = running.get(partition);
                long safe = open == null || open.isEmpty() ? next : open.first();
                offsets.put(partition, new OffsetAndMetadata(safe));
            });
        }
        if (!offsets.isEmpty()) {
            try {
                consumer.commitSync(offsets);
            } catch (RuntimeException e) {
                log.warn("offset commit failed (will retry): {}", e.toString());
            }
        }
    }

    private Counter outcomes(FlashPhase result) {
        return Counter.builder("otaflow.flasher.flashes.total").tag("result", result.name()).register(meters);
    }

    /** False once the consumer loop has ended (stopped, or failed): the worker takes no more commands. */
    public boolean polling() {
        return loop != null && loop.isAlive() && running_;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Stops taking commands, lets running flashes finish (up to a minute) while committing, then stops. */
    @Override
    public void close() {
        running_ = false;
        executor.shutdown();
        try {
            if (!executor.awaitTermination(60, TimeUnit.SECONDS)) {
                executor.shutdownNow(); // interrupted flashes end without a terminal event and are redelivered
            }
            if (loop != null) {
                loop.join(30_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (loop != null && loop.isAlive()) {
            consumer.wakeup();
        }
        producer.close();
        for (AutoCloseable resource : alsoClose) {
            try {
                resource.close();
            } catch (Exception e) {
                // stopping: nothing more to do with it
            }
        }
    }

    /** Closes {@code resource} (e.g. the generations follower the job reads) after this worker. */
    public FlasherWorker alsoClosing(AutoCloseable resource) {
        alsoClose.add(resource);
        return this;
    }
}
