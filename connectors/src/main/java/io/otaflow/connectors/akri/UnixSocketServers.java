package io.otaflow.connectors.akri;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.BindableService;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** gRPC over Unix domain sockets, as the Akri agent and its discovery handlers talk on a node. */
public final class UnixSocketServers {
    private static final EventLoopGroup GROUP = new EpollEventLoopGroup(1);

    private UnixSocketServers() {
    }

    public static ManagedChannel channel(Path socket) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toFile()))
                .eventLoopGroup(GROUP).channelType(EpollDomainSocketChannel.class).usePlaintext().build();
    }

    /** Serves on a socket file, replacing a stale one left by a previous run. */
    public static Server serve(Path socket, BindableService service) throws IOException {
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket);
        return NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toFile()))
                .bossEventLoopGroup(GROUP).workerEventLoopGroup(GROUP).channelType(EpollServerDomainSocketChannel.class)
                .addService(service).build().start();
    }
}
