"""The TCP proxy of the end-to-end tests: it stands between a client and a server on loopback
and passes each direction through a hook that may record, change or cut the bytes.

test_chat.py's RecordingProxy and test_hostile.py's FrameProxy are subclasses.
"""
import socket
import threading


class Proxy:
    """A TCP proxy on 127.0.0.1:0 in front of a server. Every connection it accepts gets its own
    connection to the server and one pump a direction. A pump hands each piece it reads to that
    direction's hook, client_to_server or server_to_client (subclasses override them; by default
    both forward the bytes as they are), which returns (bytes to send on, cut).

    When the receiver is gone, or the hook cuts, the pump stops forwarding and sends the
    receiver a FIN (a clean end, not a reset, so it reads all it got). Client to server, the
    pump then ends, and after a cut it also cuts the client off. Server to client, it goes on
    reading the server and drops the rest, so the server never blocks on the proxy and the proxy
    never resets the server's side. cut_done is set after a cut. When the sender ends, the
    receiver gets a FIN."""

    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.lock = threading.Lock()
        self.connections = 0
        self.cut_done = threading.Event()
        self.stopping = threading.Event()
        self.sockets = []
        self.threads = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self._spawn(self._accept_loop)

    def client_to_server(self, data, offset):
        """Called with each piece the client sent, after `offset` bytes of its connection;
        returns (bytes to send the server, whether to cut here)."""
        return data, False

    def server_to_client(self, data, offset):
        """Called with each piece the server sent, after `offset` bytes of its connection;
        returns (bytes to send the client, whether to cut here)."""
        return data, False

    def _spawn(self, target, *args):
        t = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(t)
        t.start()

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection(self.target, timeout=10)
            upstream.settimeout(None)
            with self.lock:
                self.connections += 1
                self.sockets += [client, upstream]
            self._spawn(self._pump, client, upstream, True)
            self._spawn(self._pump, upstream, client, False)

    def _pump(self, src, dst, client_to_server):
        hook = self.client_to_server if client_to_server else self.server_to_client
        offset = 0
        forwarding = True
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if not forwarding:
                continue  # server to client after the end: read and dropped
            out, cut = hook(data, offset)
            offset += len(data)
            try:
                dst.sendall(out)
            except OSError:
                cut = False  # the receiver is gone: there is nothing left to cut
                forwarding = False
            if cut:
                forwarding = False
            if not forwarding:
                self._shutdown(dst, socket.SHUT_WR)
                if cut:
                    if client_to_server:
                        self._shutdown(src, socket.SHUT_RDWR)
                    self.cut_done.set()
                if client_to_server:
                    return
        self._shutdown(dst, socket.SHUT_WR)

    @staticmethod
    def _shutdown(sock, how):
        try:
            sock.shutdown(how)
        except OSError:
            pass

    def close(self):
        self.stopping.set()
        self.listener.close()
        with self.lock:
            sockets = list(self.sockets)
        for s in sockets:
            self._shutdown(s, socket.SHUT_RDWR)
        for t in self.threads:
            t.join(5)
        for s in sockets:
            s.close()
