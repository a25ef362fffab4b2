package com.b2c.test;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects the one {@link Sandbox} of the run (started on first use, stopped when the run
 * ends: it lives in the root context's store).
 */
public final class SandboxExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SandboxExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
        return p.getParameter().getType() == Sandbox.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
        return ctx.getRoot().getStore(NS).getOrComputeIfAbsent("sandbox", k -> {
            try {
                return Sandbox.start();
            } catch (Exception e) {
                throw new ParameterResolutionException("could not start b2c-sandbox: " + e, e);
            }
        }, Sandbox.class);
    }
}
