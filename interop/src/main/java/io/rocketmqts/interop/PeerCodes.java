package io.rocketmqts.interop;

/** Request codes of the parity protocol spoken by RemotingPeerServer, RemotingPeerClient and the TS peers. */
final class PeerCodes {
    /** Answers 0 with the request's body, remark and extFields. */
    static final int ECHO = 9001;
    /** Sleeps extFields.sleepMs, then answers 0. */
    static final int SLOW = 9002;
    /** The processor throws RuntimeException("boom"): Java answers SYSTEM_ERROR. */
    static final int THROW = 9003;
    /** rejectRequest() is true: Java answers SYSTEM_BUSY. */
    static final int REJECT = 9004;
    /** The server calls CALLBACK_TO_CLIENT on the same channel and answers with the client's code, remark, body. */
    static final int CALLBACK = 9005;
    /** Oneway requests that are only counted. */
    static final int ONEWAY_SINK = 9006;
    /** Answers 0 with remark = number of ONEWAY_SINK requests seen so far. */
    static final int COUNT = 9007;
    /** Server-to-client request issued while handling CALLBACK; the client echoes it. */
    static final int CALLBACK_TO_CLIENT = 9101;
    /** No processor is registered for this code anywhere: Java answers REQUEST_CODE_NOT_SUPPORTED. */
    static final int UNKNOWN = 9999;

    private PeerCodes() {
    }
}
