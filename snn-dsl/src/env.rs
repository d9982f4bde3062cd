//! The calls model code may make on its environment parameter.

named_enum! {
    /// A call on the environment parameter of a model method:
    /// `env.dt()`, `env.add_to_post(x)`, ... Which methods may make which
    /// calls is [`Method::env_calls`](crate::Method::env_calls); the
    /// argument count is [`EnvCall::arity`].
    pub enum EnvCall {
        /// `env.t()`: the time at the start of the step (ms).
        T = "t",
        /// `env.dt()`: the step (ms).
        Dt = "dt",
        /// `env.isyn()`: the neuron's summed synaptic input this step.
        Isyn = "isyn",
        /// `env.id()`: the element's index (neuron, or element of an initialised variable).
        Id = "id",
        /// `env.id_pre()`: the presynaptic neuron's index.
        IdPre = "id_pre",
        /// `env.id_post()`: the postsynaptic neuron's index.
        IdPost = "id_post",
        /// `env.num_pre()`: the size of the presynaptic population.
        NumPre = "num_pre",
        /// `env.num_post()`: the size of the postsynaptic population.
        NumPost = "num_post",
        /// `env.st_pre()`: the presynaptic neuron's last spike time.
        StPre = "st_pre",
        /// `env.prev_st_pre()`: the presynaptic neuron's spike time before that.
        PrevStPre = "prev_st_pre",
        /// `env.set_pre()`: the presynaptic neuron's last spike-like-event time.
        SetPre = "set_pre",
        /// `env.prev_set_pre()`: the presynaptic neuron's event time before that.
        PrevSetPre = "prev_set_pre",
        /// `env.st_post()`: the postsynaptic neuron's last spike time.
        StPost = "st_post",
        /// `env.prev_st_post()`: the postsynaptic neuron's spike time before that.
        PrevStPost = "prev_st_post",
        /// `env.inject_current(i)`: adds `i` to the target neuron's input.
        InjectCurrent = "inject_current",
        /// `env.add_to_post(x)`: adds `x` to the postsynaptic input.
        AddToPost = "add_to_post",
        /// `env.add_to_post_delay(x, d)`: adds `x` to the postsynaptic input
        /// `d` steps later (dendritic delay).
        AddToPostDelay = "add_to_post_delay",
        /// `env.add_synapse(j)`: adds a synapse to postsynaptic neuron `j` to the row.
        AddSynapse = "add_synapse",
        /// `env.rand_uniform()`: a uniform draw in (0, 1).
        RandUniform = "rand_uniform",
        /// `env.rand_normal()`: a standard normal draw.
        RandNormal = "rand_normal",
        /// `env.rand_exponential()`: an exponential draw with rate 1.
        RandExponential = "rand_exponential",
        /// `env.rand_poisson(lambda)`: a Poisson draw of mean `lambda`.
        RandPoisson = "rand_poisson",
        /// `env.rand_gamma(a)`: a gamma draw of shape `a` and scale 1.
        RandGamma = "rand_gamma",
        /// `env.rand_binomial(n, p)`: successes in `n` trials of probability `p`.
        RandBinomial = "rand_binomial",
    }
}

impl EnvCall {
    /// The number of arguments the call takes.
    pub const fn arity(self) -> usize {
        match self {
            EnvCall::T
            | EnvCall::Dt
            | EnvCall::Isyn
            | EnvCall::Id
            | EnvCall::IdPre
            | EnvCall::IdPost
            | EnvCall::NumPre
            | EnvCall::NumPost
            | EnvCall::StPre
            | EnvCall::PrevStPre
            | EnvCall::SetPre
            | EnvCall::PrevSetPre
            | EnvCall::StPost
            | EnvCall::PrevStPost
            | EnvCall::RandUniform
            | EnvCall::RandNormal
            | EnvCall::RandExponential => 0,
            EnvCall::InjectCurrent
            | EnvCall::AddToPost
            | EnvCall::AddSynapse
            | EnvCall::RandPoisson
            | EnvCall::RandGamma => 1,
            EnvCall::AddToPostDelay | EnvCall::RandBinomial => 2,
        }
    }

    /// Whether the call draws random numbers (advances the element's
    /// random stream): the `rand_*` calls.
    pub const fn is_random(self) -> bool {
        matches!(
            self,
            EnvCall::RandUniform
                | EnvCall::RandNormal
                | EnvCall::RandExponential
                | EnvCall::RandPoisson
                | EnvCall::RandGamma
                | EnvCall::RandBinomial
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &c in EnvCall::ALL {
            assert_eq!(EnvCall::from_name(c.name()), Some(c));
            assert_eq!(c.to_string(), c.name());
        }
        assert_eq!(EnvCall::from_name("teleport"), None);
        assert_eq!(EnvCall::from_name("Dt"), None);
        assert_eq!(EnvCall::ALL.len(), 24);
    }

    #[test]
    fn random_calls_are_the_rand_ones() {
        for &c in EnvCall::ALL {
            assert_eq!(c.is_random(), c.name().starts_with("rand_"), "{c}");
        }
    }

    #[test]
    fn arities() {
        assert_eq!(EnvCall::Dt.arity(), 0);
        assert_eq!(EnvCall::AddToPost.arity(), 1);
        assert_eq!(EnvCall::AddToPostDelay.arity(), 2);
        assert_eq!(EnvCall::RandBinomial.arity(), 2);
        assert_eq!(EnvCall::RandGamma.arity(), 1);
        assert_eq!(EnvCall::AddSynapse.arity(), 1);
    }
}
