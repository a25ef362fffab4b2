<?php

declare(strict_types=1);

namespace B2c;

/**
 * A TokenStore in Redis (the php-redis extension, ext-redis), for CRM back offices on
 * several hosts: every process and host that uses the same Redis and prefix shares each
 * credential's token pair, and one renewal happens at a time across all of them.
 *
 * - the value of key K is at `<prefix>K` (binary-safe, no expiry: libb2c ignores a pair
 *   that has expired and replaces it);
 * - the lock of K is `<prefix>K:lock`, taken with `SET <lock> <random owner token> NX PX
 *   <lease_ms>` (so a holder that died frees it after its lease), retried with short
 *   sleeps until timeout_ms has passed; unlock deletes it only when it still holds this
 *   store's owner token (a Lua compare-and-delete), so a lock that expired and was taken by
 *   another process is left to its new owner.
 *
 * The commands are sent with Redis::rawCommand(), so the \Redis object's own OPT_PREFIX,
 * serializer and compression options do not apply to them (use $prefix to keep
 * deployments apart). A Redis error (RedisException, an error reply) is a store failure:
 * libb2c logs it (event `store`) and goes on without the store.
 *
 * The values are SECRETS (the tokens): the Redis must be private to the CRM (bound to a
 * private network, AUTH / ACL, TLS between hosts as the deployment requires).
 *
 *   $redis = new \Redis();
 *   $redis->connect('10.0.0.5', 6379);
 *   $redis->auth($password);
 *   $client->setTokenStore(new B2c\RedisTokenStore($redis, 'crm:b2c:'));
 */
final class RedisTokenStore implements TokenStore
{
    /** KEYS[1] the lock, ARGV[1] the owner token: delete the lock only if it is still ours. */
    public const UNLOCK_SCRIPT = "if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('del',KEYS[1]) else return 0 end";

    /** The longest sleep between two lock attempts, in milliseconds. */
    private const MAX_BACKOFF_MS = 50;

    /** @var array<string, string> key => the owner token of the lock this store holds */
    private array $owners = [];

    public function __construct(private readonly \Redis $redis, private readonly string $prefix = 'b2c:')
    {
    }

    public function prefix(): string
    {
        return $this->prefix;
    }

    public function load(string $key): ?string
    {
        $v = $this->command('GET', $this->prefix . $key);
        if ($v === false || $v === null) {
            return null;
        }
        if (!is_string($v)) {
            throw new \UnexpectedValueException('Redis GET answered a ' . get_debug_type($v));
        }
        return $v;
    }

    public function save(string $key, string $value): void
    {
        if ($this->command('SET', $this->prefix . $key, $value) !== true) {
            throw new \UnexpectedValueException('Redis SET did not answer OK');
        }
    }

    public function lock(string $key, int $timeoutMs, int $leaseMs): bool
    {
        $lock = $this->prefix . $key . ':lock';
        $owner = bin2hex(random_bytes(16));
        $lease = max(1, $leaseMs);
        $start = hrtime(true);
        $backoff = 1;
        while (true) {
            if ($this->command('SET', $lock, $owner, 'NX', 'PX', $lease) === true) {
                $this->owners[$key] = $owner;
                return true;
            }
            $left = $timeoutMs - intdiv(hrtime(true) - $start, 1_000_000);
            if ($left <= 0) {
                return false;
            }
            usleep(1000 * min($left, $backoff + random_int(0, $backoff)));
            $backoff = min(self::MAX_BACKOFF_MS, $backoff * 2);
        }
    }

    public function unlock(string $key): void
    {
        $owner = $this->owners[$key] ?? null;
        if ($owner === null) {
            return; // not ours
        }
        unset($this->owners[$key]);
        $this->command('EVAL', self::UNLOCK_SCRIPT, 1, $this->prefix . $key . ':lock', $owner);
    }

    /**
     * One command; an error reply throws (rawCommand() answers false for both an error and a
     * nil reply, so the last error tells them apart).
     */
    private function command(string $name, string|int ...$args): mixed
    {
        $this->redis->clearLastError();
        $r = $this->redis->rawCommand($name, ...$args);
        if ($r === false) {
            $error = $this->redis->getLastError();
            if ($error !== null) {
                throw new \RedisException("Redis $name failed: $error");
            }
        }
        return $r;
    }
}
