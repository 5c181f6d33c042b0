package org.iommuemu.emulator.cache;

/**
 * Hears every invalidation an {@link InvalidationDispatcher} carries out, after its caches have dropped what the scope
 * covers (co-simulation turns them into ATS invalidations for the translations a peer may have cached). Called on the
 * thread that drives the model; the scope object is the dispatcher's caller's and is reused after the call returns.
 */
@FunctionalInterface
public interface InvalidationListener
{
    /** A listener that ignores every invalidation. */
    InvalidationListener NONE = (scope, roleMask) ->
    {
    };

    /** @param roleMask the {@link CacheRole#bit()}s the invalidation reached. */
    void onInvalidation(InvalidationScope scope, int roleMask);
}
