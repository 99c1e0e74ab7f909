package io.otaflow.cli.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * While the demo runs, every log line goes to a file and the terminal keeps the live view, the
 * summary and otaflow's own errors: a user must tell a healthy run from a broken one at a glance,
 * and the dozens of routine warnings of the embedded servers hide that. The warnings and errors
 * the file got are counted, so the summary can say there were some.
 */
public final class DemoLog implements AutoCloseable {
    private static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger - %msg%n";

    private final Path file;
    private final Logger root;
    private final FileAppender<ILoggingEvent> fileAppender;
    private final Counter counter;
    private final List<ConsoleAppender<ILoggingEvent>> consoles;
    private final Filter<ILoggingEvent> onlyOtaflowErrors = new OnlyOtaflowErrors();

    private DemoLog(Path file, Logger root, FileAppender<ILoggingEvent> fileAppender, Counter counter,
                    List<ConsoleAppender<ILoggingEvent>> consoles) {
        this.file = file;
        this.root = root;
        this.fileAppender = fileAppender;
        this.counter = counter;
        this.consoles = consoles;
        consoles.forEach(console -> console.addFilter(onlyOtaflowErrors));
    }

    /** Sends the logs to {@code file} from now until {@link #close()}. */
    public static DemoLog divert(Path file) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        FileAppender<ILoggingEvent> fileAppender = new FileAppender<>();
        fileAppender.setContext(context);
        fileAppender.setName("demo-file");
        fileAppender.setFile(file.toString());
        fileAppender.setEncoder(encoder);
        fileAppender.start();
        Counter counter = new Counter();
        counter.setContext(context);
        counter.start();
        List<ConsoleAppender<ILoggingEvent>> consoles = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof ConsoleAppender<ILoggingEvent> console) {
                consoles.add(console);
            }
        }
        root.addAppender(fileAppender);
        root.addAppender(counter);
        return new DemoLog(file, root, fileAppender, counter, consoles);
    }

    public Path file() {
        return file;
    }

    public long warnings() {
        return counter.warnings.get();
    }

    public long errors() {
        return counter.errors.get();
    }

    @Override
    public void close() {
        root.detachAppender(counter);
        root.detachAppender(fileAppender);
        fileAppender.stop();
        for (ConsoleAppender<ILoggingEvent> console : consoles) {
            List<Filter<ILoggingEvent>> others = new ArrayList<>(console.getCopyOfAttachedFiltersList());
            others.remove(onlyOtaflowErrors);
            console.clearAllFilters();
            others.forEach(console::addFilter);
        }
    }

    /** The terminal's share: errors otaflow itself reports. */
    private static final class OnlyOtaflowErrors extends Filter<ILoggingEvent> {
        @Override
        public FilterReply decide(ILoggingEvent event) {
            return event.getLevel().isGreaterOrEqual(Level.ERROR) && event.getLoggerName().startsWith("io.otaflow")
                    ? FilterReply.NEUTRAL : FilterReply.DENY;
        }
    }

    private static final class Counter extends AppenderBase<ILoggingEvent> {
        final AtomicLong warnings = new AtomicLong();
        final AtomicLong errors = new AtomicLong();

        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel() == Level.ERROR) {
                errors.incrementAndGet();
            } else if (event.getLevel() == Level.WARN) {
                warnings.incrementAndGet();
            }
        }
    }
}
