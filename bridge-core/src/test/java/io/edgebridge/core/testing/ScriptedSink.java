package io.edgebridge.core.testing;

import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * A sink whose connection and answers the test scripts. Every {@link #send} is recorded with the
 * time it was made. A send is answered by the function given to {@link #respondWith}; without one
 * (the default, or after {@link #holdEach()}) it is held open until the test answers it through
 * {@link #answer} or {@link #held}, in the order the held sends were made.
 */
public final class ScriptedSink implements Sink {

    /** One call of {@link #send}: the message and {@link System#nanoTime()} at the call. */
    public record Send(OutboundMessage message, long nanos) {
        public String topic() {
            return message.topic();
        }

        /** The payload's size. */
        public int bytes() {
            return message.payload().length;
        }
    }

    private final String name;
    private final Queue<Send> sends = new ConcurrentLinkedQueue<>();
    private final List<CompletableFuture<Void>> held = Collections.synchronizedList(new ArrayList<>());
    private volatile Function<OutboundMessage, ? extends CompletionStage<Void>> respond;
    private volatile boolean connected = true;

    /** A connected sink that holds every send open. */
    public ScriptedSink(String name) {
        this.name = name;
    }

    /** A connected sink that answers every send with {@code respond}. */
    public ScriptedSink(String name, Function<OutboundMessage, ? extends CompletionStage<Void>> respond) {
        this.name = name;
        this.respond = respond;
    }

    /** From now on, sends are answered by {@code respond}. */
    public ScriptedSink respondWith(Function<OutboundMessage, ? extends CompletionStage<Void>> respond) {
        this.respond = respond;
        return this;
    }

    /** From now on, every send is acknowledged at once. */
    public ScriptedSink acknowledgeEach() {
        return respondWith(m -> CompletableFuture.completedFuture(null));
    }

    /** From now on, every send is held open until the test answers it. */
    public ScriptedSink holdEach() {
        this.respond = null;
        return this;
    }

    /** What {@link #isConnected()} answers from now on. */
    public ScriptedSink connected(boolean connected) {
        this.connected = connected;
        return this;
    }

    /** Every send so far, oldest first. */
    public List<Send> sends() {
        return List.copyOf(sends);
    }

    /** The messages of every send so far, oldest first. */
    public List<OutboundMessage> sent() {
        return sends.stream().map(Send::message).toList();
    }

    public int sendCount() {
        return sends.size();
    }

    /** How often a message for {@code topic} was sent. */
    public int attempts(String topic) {
        return (int) sends.stream().filter(s -> s.topic().equals(topic)).count();
    }

    public List<String> topics() {
        return sends.stream().map(Send::topic).toList();
    }

    /** The payloads sent, as UTF-8 text. */
    public List<String> payloads() {
        return sends.stream().map(s -> new String(s.message().payload(), StandardCharsets.UTF_8)).toList();
    }

    /** The stage returned by the {@code index}-th held send. */
    public CompletableFuture<Void> held(int index) {
        return held.get(index);
    }

    /** Completes the {@code index}-th held send: normally if {@code error} is null, else with it. */
    public void answer(int index, Throwable error) {
        if (error == null) {
            held(index).complete(null);
        } else {
            held(index).completeExceptionally(new CompletionException(error));
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletionStage<Void> start() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> send(OutboundMessage message) {
        sends.add(new Send(message, System.nanoTime()));
        Function<OutboundMessage, ? extends CompletionStage<Void>> answer = respond;
        if (answer != null) {
            return answer.apply(message);
        }
        CompletableFuture<Void> open = new CompletableFuture<>();
        held.add(open);
        return open;
    }

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    public CompletionStage<Void> close() {
        return CompletableFuture.completedFuture(null);
    }
}
