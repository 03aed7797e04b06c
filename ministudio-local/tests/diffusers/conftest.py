"""Tiny randomly initialised video pipelines, built from config on CPU and saved to a folder.

No downloads: the T5/UMT5 text encoders, the CLIP image encoder and the tokenizer are built in
code. The providers then load these folders through the real ``from_pretrained(local_dir)`` path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

WORDS = (
    "a the cat dog kite walks runs flies in on over red blue green sky street night day man "
    "woman car city forest hills wide shot close up"
).split()


def _tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "</s>": 1, "[UNK]": 2}
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", eos_token="</s>", unk_token="[UNK]",
        model_max_length=16,
    )


def _text_encoder(umt5: bool = False):
    import torch
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    torch.manual_seed(0)
    cfg, cls = (UMT5Config, UMT5EncoderModel) if umt5 else (T5Config, T5EncoderModel)
    return cls(cfg(vocab_size=64, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                   relative_attention_num_buckets=8))


def tiny_ltx():
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False,) * 5, upsample_residual=(False,) * 4,
        upsample_factor=(1, 1, 1, 1), timestep_conditioning=False, patch_size=1,
        patch_size_t=1, encoder_causal=True, decoder_causal=False,
    )
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4,
        attention_head_dim=8, cross_attention_dim=32, num_layers=1, caption_channels=32,
    )
    return LTXPipeline(transformer=transformer, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(),
                       text_encoder=_text_encoder(), tokenizer=_tokenizer())


def _wan_vae():
    from diffusers import AutoencoderKLWan

    return AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                            temperal_downsample=[False, True, True])


def _wan_transformer(in_channels: int, **extra):
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
        in_channels=in_channels, out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32,
        num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
        **extra,
    )


def tiny_wan_t2v():
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, WanPipeline

    torch.manual_seed(0)
    return WanPipeline(transformer=_wan_transformer(16), vae=_wan_vae(),
                       scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
                       text_encoder=_text_encoder(umt5=True), tokenizer=_tokenizer())


def tiny_wan_ti2v():
    """Wan 2.2 TI2V: one transformer for text and image; an image replaces the first latent
    frame (``expand_timesteps``) instead of being concatenated as extra channels."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, WanPipeline

    torch.manual_seed(0)
    return WanPipeline(transformer=_wan_transformer(16), vae=_wan_vae(),
                       scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
                       text_encoder=_text_encoder(umt5=True), tokenizer=_tokenizer(),
                       expand_timesteps=True)


def tiny_wan_i2v(first_last: bool = False):
    """Wan 2.1 image-to-video; ``first_last`` gives the FLF2V variant, whose transformer has a
    position embedding over both images' CLIP tokens (2 x 1025 for a 32x32, patch-1 encoder)."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, WanImageToVideoPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    encoder = CLIPVisionModel(CLIPVisionConfig(
        hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2,
        image_size=32, intermediate_size=16, patch_size=1,
    ))
    return WanImageToVideoPipeline(
        transformer=_wan_transformer(
            36, image_dim=4, **({"pos_embed_seq_len": 2 * 1025} if first_last else {})
        ),
        vae=_wan_vae(),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=_text_encoder(umt5=True), tokenizer=_tokenizer(),
        image_encoder=encoder, image_processor=CLIPImageProcessor(crop_size=32, size=32),
    )


def tiny_cogvideox_i2v():
    import torch
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=16, in_channels=8, out_channels=4,
        time_embed_dim=2, text_embed_dim=32, num_layers=1, sample_width=2, sample_height=2,
        sample_frames=49, patch_size=2, temporal_compression_ratio=4, max_text_seq_length=226,
        use_rotary_positional_embeddings=True, use_learned_positional_embeddings=True,
    )
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8),
        latent_channels=4, layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4,
    )
    return CogVideoXImageToVideoPipeline(transformer=transformer, vae=vae,
                                         scheduler=CogVideoXDDIMScheduler(),
                                         text_encoder=_text_encoder(), tokenizer=_tokenizer())


BUILDERS = {
    "ltx": tiny_ltx,
    "wan-t2v": tiny_wan_t2v,
    "wan-ti2v": tiny_wan_ti2v,
    "wan-i2v": tiny_wan_i2v,
    "wan-flf2v": lambda: tiny_wan_i2v(first_last=True),
    "cogvideox-i2v": tiny_cogvideox_i2v,
}


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``name -> folder`` of each tiny pipeline, written with ``save_pretrained``."""
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    pytest.importorskip("transformers")
    root = tmp_path_factory.mktemp("tiny-weights")
    out = {}
    for name, build in BUILDERS.items():
        folder = root / name
        build().save_pretrained(folder)
        out[name] = folder
    return out


@pytest.fixture(autouse=True)
def _fresh_pipeline_cache():
    """Each test loads its pipelines itself (the cache is per process)."""
    yield
    try:
        from ministudio_local.diffusers import runner
    except ImportError:  # pragma: no cover - torch-less environments never import it
        return
    runner.clear_cache()
